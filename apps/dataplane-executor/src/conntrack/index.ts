export * from './parse-conntrack-line';
export * from './conntrack-process';
export * from './conntrack-stats';
export * from './parse-reply-tuple';
