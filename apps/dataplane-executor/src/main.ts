import 'reflect-metadata';
import { loadConfig, runService, startOrExit } from '@natgw/platform';
import { ExecutorConfig } from './executor.config';
import { ExecutorModule } from './executor.module';

startOrExit('dataplane-executor', () =>
  runService({
    name: 'dataplane-executor',
    loadConfig: () => loadConfig(ExecutorConfig),
    module: (config) => ExecutorModule.forRoot(config),
    listen: (config) => ({ port: config.EXECUTOR_PORT, host: config.EXECUTOR_HOST }),
  }),
);
