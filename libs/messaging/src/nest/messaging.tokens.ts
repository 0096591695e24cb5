/** The MessagingModuleOptions provider. */
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
/** The service's NatsConnection. */
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
/** The JetStreamClient on that connection. */
export const JETSTREAM_CLIENT = Symbol('JETSTREAM_CLIENT');
/** The JetStreamManager on that connection (the event stream is ensured when it is created). */
export const JETSTREAM_MANAGER = Symbol('JETSTREAM_MANAGER');
