import { Provider } from '@nestjs/common';
import { ResourceReader } from '@natgw/projections';
import { ApiGatewayConfig } from '../api-gateway.config';
import { QuotaAdmission } from '../quotas/quota-admission';
import { ResourceClaims } from '../resources/claims/resource-claims';
import { Clock, CLOCK } from '../resources/clock';
import { ResourceUpdater } from '../resources/resource-updater';
import { ReadCache } from '../read-cache/read-cache';
import { CreateResource } from '../resources/use-cases/create-resource';
import { DeleteResource } from '../resources/use-cases/delete-resource';
import { GetResource } from '../resources/use-cases/get-resource';
import { UpdateResource } from '../resources/use-cases/update-resource';
import {
  INBOUND_LISTENER_OPTIONS,
  InboundListener,
  InboundListenerOptions,
} from './inbound-listener';
import { InboundAuthorizer } from './inbound-grants';
import { InboundNicHandler, InboundUseCases } from './inbound-nic-handler';
import { InboundResourceLog } from './inbound-scope';

export { INBOUND_EVENT_TYPES, INBOUND_REJECTED_EVENT_TYPE } from './inbound-contract';

/**
 * The inbound NetworkInterface requests over NATS: REST's use cases built over
 * InboundResourceLog, the handler and the listener. Needs ApiGatewayConfig,
 * CLOCK, ResourceReader, ResourceClaims, GetResource and QuotaAdmission from the api-gateway
 * module, and the
 * NATS connection of MessagingModule.
 */
export const INBOUND_PROVIDERS: Provider[] = [
  InboundResourceLog,
  {
    provide: InboundUseCases,
    inject: [
      InboundResourceLog,
      ResourceReader,
      GetResource,
      ResourceClaims,
      CLOCK,
      QuotaAdmission,
      ReadCache,
    ],
    useFactory: (
      log: InboundResourceLog,
      reader: ResourceReader,
      get: GetResource,
      claims: ResourceClaims,
      clock: Clock,
      quotas: QuotaAdmission,
      cache: ReadCache,
    ) =>
      new InboundUseCases(
        new CreateResource(log, reader, claims, clock, quotas, cache),
        new UpdateResource(log, get, new ResourceUpdater(log, reader, claims, quotas, clock)),
        new DeleteResource(log, reader, get, claims, clock),
        get,
      ),
  },
  {
    provide: INBOUND_LISTENER_OPTIONS,
    inject: [ApiGatewayConfig],
    useFactory: (config: ApiGatewayConfig): InboundListenerOptions => ({
      subjectPrefix: config.NATS_SUBJECT_PREFIX,
    }),
  },
  {
    provide: InboundAuthorizer,
    inject: [ApiGatewayConfig],
    useFactory: (config: ApiGatewayConfig) => new InboundAuthorizer(config.inboundGrants),
  },
  InboundNicHandler,
];

/** The `@MessagePattern` handlers of inbound requests (served by the JetStream transport). */
export const INBOUND_CONTROLLERS = [InboundListener];
