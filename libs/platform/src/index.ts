export * from './bootstrap';
export * from './config';
export * from './health';
export * from './logging';
export * from './metrics';
export * from './progress';
export * from './http';
