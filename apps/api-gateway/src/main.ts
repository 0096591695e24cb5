import 'reflect-metadata';
import { runService, startOrExit } from '@natgw/platform';
import { loadApiGatewayConfig } from './api-gateway.config';
import { ApiGatewayModule } from './api-gateway.module';
import { configureApiGateway } from './api-gateway.setup';

startOrExit('api-gateway', () =>
  runService({
    name: 'api-gateway',
    loadConfig: () => loadApiGatewayConfig(),
    module: (config) => ApiGatewayModule.forRoot(config),
    listen: (config) => ({ port: config.API_PORT, host: config.API_HOST }),
    configure: (app) => configureApiGateway(app),
    https: (config) => config.tls,
  }),
);
