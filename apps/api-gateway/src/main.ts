import 'reflect-metadata';
import { loadConfig, runService, startOrExit } from '@natgw/platform';
import { ApiGatewayConfig } from './api-gateway.config';
import { ApiGatewayModule } from './api-gateway.module';

startOrExit('api-gateway', () =>
  runService({
    name: 'api-gateway',
    loadConfig: () => loadConfig(ApiGatewayConfig),
    module: (config) => ApiGatewayModule.forRoot(config),
    listen: (config) => ({ port: config.API_PORT, host: config.API_HOST }),
  }),
);
