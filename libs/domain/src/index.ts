export * from './allocation';
export * from './dataplane';
export * from './audit';
export * from './quota';
export * from './claims';
export * from './usage';
export * from './retention';
