export * from './checkpoint';
export * from './database';
export * from './errors';
export * from './expected-version';
export * from './log-notifier';
export * from './postgres-event-store';
export * from './projections';
export { EVENT_STORE_MIGRATIONS } from './migrations';
export * from './event-store.module';
