export * from './request-hook';
