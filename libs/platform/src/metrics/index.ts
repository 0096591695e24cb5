export * from './http-metrics.hook';
export * from './metrics';
export * from './metrics.controller';
export * from './metrics.module';
export * from './natgw-metrics';
