export * from './audit-api';
export * from './rfc3339';
