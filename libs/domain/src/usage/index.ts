export * from './port-usage';
