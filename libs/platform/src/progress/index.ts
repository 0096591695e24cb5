export * from './progress-line';
export * from './progress-reporter';
