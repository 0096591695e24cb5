export * from './log-retention';
export * from './prune-log';
export * from './compact-streams';
