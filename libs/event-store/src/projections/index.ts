export * from './projection';
export * from './projection-runner';
export * from './projection-snapshots';
export * from './rebuild-projection';
