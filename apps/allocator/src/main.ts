import 'reflect-metadata';
import { startJetStreamTransport } from '@natgw/messaging';
import { loadConfig, runService, startOrExit } from '@natgw/platform';
import { AllocatorConfig } from './allocator.config';
import { AllocatorModule } from './allocator.module';

startOrExit('allocator', () =>
  runService({
    name: 'allocator',
    loadConfig: () => loadConfig(AllocatorConfig),
    module: (config) => AllocatorModule.forRoot(config),
    listen: (config) => ({ port: config.ALLOCATOR_PORT, host: config.ALLOCATOR_HOST }),
    configure: (app) => startJetStreamTransport(app),
  }),
);
