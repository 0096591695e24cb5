export * from './event';
export * from './cloud-event';
export * from './subjects';
