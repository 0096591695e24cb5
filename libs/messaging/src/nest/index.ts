export * from './event-consumer.decorators';
export * from './event-consumer-host';
export * from './messaging-health';
export * from './messaging-module-options';
export * from './messaging.module';
export * from './messaging.tokens';
export * from './nest-messaging-logger';
export * from './relay-host';
