export * from './events';
export * from './resources';
export * from './audit';
