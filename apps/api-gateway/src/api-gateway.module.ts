import { DynamicModule, Logger, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { EventStoreModule } from '@natgw/event-store';
import { MessagingModule } from '@natgw/messaging';
import {
  HealthModule,
  LoggingModule,
  messagingSettings,
  MetricsModule,
  ReadinessRegistry,
  sessionUrl,
} from '@natgw/platform';
import {
  RESOURCE_STATUS_APPLIERS,
  ResourceChangeListener,
  ResourceProjection,
  ResourceReader,
  StatusApplierRegistration,
} from '@natgw/projections';
import { ApiGatewayConfig, isLoopbackHost } from './api-gateway.config';
import { AUDIT_CONTROLLERS, AUDIT_PROVIDERS } from './audit';
import { ConsoleModule } from './console/console.module';
import { HISTORY_CONTROLLERS, HISTORY_PROVIDERS } from './history';
import { IpPoolBook } from './pools/ip-pool-book';
import { IpPoolsController } from './pools/ip-pools.controller';
import { QuotaAdmission } from './quotas/quota-admission';
import { QuotaBook } from './quotas/quota-book';
import { QuotasController } from './quotas/quotas.controller';
import { QuotaUsage } from './quotas/quota-usage';
import { SetIpPoolPrefixes } from './pools/set-ip-pool-prefixes';
import { AuthenticatedGuard, AuthGuard } from './auth/auth.guard';
import { TokenAuthenticator } from './auth/token-authenticator';
import { ClientLimits } from './limits/client-limits';
import { DiscoveryController } from './discovery/discovery.controller';
import { VersionController } from './discovery/version.controller';
import { StatusExceptionFilter } from './http/status-exception.filter';
import { INBOUND_CONTROLLERS, INBOUND_PROVIDERS } from './inbound';
import { OpenApiController, OpenApiDocumentHolder } from './openapi/openapi.controller';
import { CLOCK } from './resources/clock';
import { ResourceClaims } from './resources/claims/resource-claims';
import { ResourceLog } from './resources/resource-log';
import { ResourceUpdater } from './resources/resource-updater';
import { ResourcesController } from './resources/resources.controller';
import { CreateResource } from './resources/use-cases/create-resource';
import { DeleteResource } from './resources/use-cases/delete-resource';
import { ForceFinalize } from './resources/use-cases/force-finalize';
import { GetNatTable } from './resources/use-cases/get-nat-table';
import { GetResource } from './resources/use-cases/get-resource';
import { ListResources } from './resources/use-cases/list-resources';
import { ApplyResource } from './resources/use-cases/apply-resource';
import { PatchResource } from './resources/use-cases/patch-resource';
import { UpdateResource } from './resources/use-cases/update-resource';
import { WATCH_TIMINGS, WatchResources, WatchTimings } from './resources/use-cases/watch-resources';
import { ReadCache } from './read-cache/read-cache';
import { ChangeListenerHost } from './watch/change-listener.host';
import {
  CHANGE_HISTORY_OPTIONS,
  ChangeHistoryOptions,
  ChangeHistoryService,
} from './watch/change-history.service';
import { NATGW_SCHEMA } from '@natgw/schema';

/** Options beyond the environment, for tests and embedders. */
export interface ApiGatewayModuleOptions {
  /** Status appliers of the resource projection (default: RESOURCE_STATUS_APPLIERS). */
  statusAppliers?: readonly StatusApplierRegistration[];
  /** Watch poll interval in ms (default 1000; LISTEN/NOTIFY wakes watches sooner). */
  watchPollIntervalMs?: number;
}

/** The REST front door: Kubernetes-style resources; writes are events, reads come from projections. */
@Module({})
export class ApiGatewayModule {
  static forRoot(config: ApiGatewayConfig, options: ApiGatewayModuleOptions = {}): DynamicModule {
    const history: ChangeHistoryOptions = {
      retainSeconds: config.WATCH_HISTORY_SECONDS,
      intervalMs: Math.min(60_000, config.WATCH_HISTORY_SECONDS * 250),
    };
    const timings: WatchTimings = {
      bookmarkIntervalMs: config.WATCH_BOOKMARK_SECONDS * 1000,
      pollIntervalMs: options.watchPollIntervalMs ?? 1000,
      defaultTimeoutSeconds: 1800,
    };
    return {
      module: ApiGatewayModule,
      imports: [
        LoggingModule.forRoot('api-gateway', config.LOG_LEVEL),
        HealthModule,
        MetricsModule.forRoot({ service: 'api-gateway' }),
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          sessionUrl: config.DATABASE_SESSION_URL,
          migrate: config.MIGRATE_ON_START === 'true',
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: 'natgw-api-gateway',
          ...NATGW_SCHEMA,
          projections: [new ResourceProjection(options.statusAppliers ?? RESOURCE_STATUS_APPLIERS)],
        }),
        MessagingModule.forRoot(messagingSettings(config, 'api-gateway')),
        ConsoleModule.forRoot(),
      ],
      // The audit routes first: nattable?at is more specific than ResourcesController's subresources.
      controllers: [
        ...AUDIT_CONTROLLERS,
        ResourcesController,
        IpPoolsController,
        QuotasController,
        ...HISTORY_CONTROLLERS,
        OpenApiController,
        DiscoveryController,
        VersionController,
        ...INBOUND_CONTROLLERS,
      ],
      providers: [
        { provide: ApiGatewayConfig, useValue: config },
        { provide: APP_FILTER, useClass: StatusExceptionFilter },
        { provide: CLOCK, useValue: () => new Date() },
        { provide: WATCH_TIMINGS, useValue: timings },
        { provide: CHANGE_HISTORY_OPTIONS, useValue: history },
        {
          provide: TokenAuthenticator,
          useFactory: () => {
            if (!config.authGrants) {
              new Logger('Auth').warn(
                `AUTH_TOKENS_FILE is not set: EVERY REQUEST IS ACCEPTED WITHOUT AUTHENTICATION. The API is bound to ${config.API_HOST} (loopback only); set AUTH_TOKENS_FILE to require bearer tokens.`,
              );
            } else if (!config.tls && !isLoopbackHost(config.API_HOST)) {
              new Logger('Auth').warn(
                `API_TLS_CERT_FILE/API_TLS_KEY_FILE are not set: bearer tokens reach ${config.API_HOST} in clear text, and kubectl sends no token over plain HTTP. Serve HTTPS here, or terminate TLS in front of the api-gateway.`,
              );
            }
            return new TokenAuthenticator(config.authGrants);
          },
        },
        {
          provide: ResourceReader,
          inject: [DataSource],
          useFactory: (ds: DataSource) => new ResourceReader(ds),
        },
        {
          provide: ResourceChangeListener,
          inject: [ReadinessRegistry, DataSource],
          useFactory: async (readiness: ReadinessRegistry) => {
            const logger = new Logger('ResourceChangeListener');
            const listener = new ResourceChangeListener(sessionUrl(config), (err) =>
              logger.warn(`LISTEN connection: ${err.message}`),
            );
            await listener.start();
            readiness.register('resource-change-listener', () => listener.connected);
            return listener;
          },
        },
        {
          provide: ChangeHistoryService,
          inject: [DataSource, CHANGE_HISTORY_OPTIONS],
          useFactory: (ds: DataSource, o: ChangeHistoryOptions) => new ChangeHistoryService(ds, o),
        },
        ChangeListenerHost,
        OpenApiDocumentHolder,
        AuthGuard,
        AuthenticatedGuard,
        ClientLimits,
        ResourceLog,
        ResourceClaims,
        ResourceUpdater,
        CreateResource,
        ReadCache,
        GetResource,
        ListResources,
        WatchResources,
        UpdateResource,
        PatchResource,
        ApplyResource,
        DeleteResource,
        GetNatTable,
        ForceFinalize,
        IpPoolBook,
        SetIpPoolPrefixes,
        QuotaBook,
        QuotaUsage,
        QuotaAdmission,
        ...AUDIT_PROVIDERS,
        ...HISTORY_PROVIDERS,
        ...INBOUND_PROVIDERS,
      ],
    };
  }
}
