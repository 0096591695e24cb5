export * from './audit-api';
export * from './rfc3339';
export * from './event-list';
