import { ApiSchema } from '@nestjs/swagger';
import { NetworkSpec } from '../network';

/** A Network has no fields natgw acts on: `spec` may be empty, and other fields are unknown. */
@ApiSchema({ name: 'NetworkSpec' })
export class NetworkSpecDto {}

@ApiSchema({ name: 'NetworkStatus' })
export class NetworkStatusDto {}

/** The (empty) spec of a validated Network. */
export function networkSpecFrom(_dto: NetworkSpecDto): NetworkSpec {
  return {};
}
