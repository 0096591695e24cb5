export * from './log-retention';
export * from './prune-log';
