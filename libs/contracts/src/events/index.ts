export * from './event';
export * from './cloud-event';
export * from './subjects';
export * from './translation-log';
