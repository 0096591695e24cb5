export * from './allocation';
export * from './dataplane';
