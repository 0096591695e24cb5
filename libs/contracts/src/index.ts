export * from './events';
export * from './resources';
