export * from './fatal-message';
export * from './log-format';
export * from './logging.module';
export * from './request-log.hook';
