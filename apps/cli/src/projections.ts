import type { Projection } from '@natgw/event-store';
import { NatSlotsProjection, ResourceProjection } from '@natgw/projections';

/** Every projection natgw keeps, by name, as `projections:rebuild` knows them. */
export function allProjections(): Projection[] {
  return [new ResourceProjection(), new NatSlotsProjection()];
}
