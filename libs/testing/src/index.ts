export * from './test-database';
export * from './wait';
export * from './nats-server';
export * from './service-process';
export * from './netns';
export * from './postgres-server';
export * from './synthetic-history';
