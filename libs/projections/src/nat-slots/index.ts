export * from './nat-slots.projection';
export * from './node-nat-table';
