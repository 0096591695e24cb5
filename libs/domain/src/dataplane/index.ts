export * from './nat-rule';
export * from './nat-rule-problems';
export * from './partition-nat-rules';
export * from './nat-rule-book';
export * from './diff-nat-rules';
export * from './nat-rules-for-node';
export * from './nat-timeouts';
