export * from './http-adapter';
export * from './request-hook';
