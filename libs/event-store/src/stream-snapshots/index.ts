export * from './stream-snapshot-store';
