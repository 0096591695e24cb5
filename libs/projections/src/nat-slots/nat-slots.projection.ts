import { EntityManager } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { AllocationEvent, ALLOCATION_EVENT_TYPES, ipFamilyOf } from '@natgw/domain';
import type { Projection } from '@natgw/event-store';

/** The projection's name: its checkpoint is `projection:nat-slots`. */
export const NAT_SLOTS_PROJECTION_NAME = 'nat-slots';

const ALLOCATION_TYPES = new Set<string>(ALLOCATION_EVENT_TYPES);

/**
 * Every NIC's NAT slot with the node that serves it, from the allocation streams:
 * the desired state the dataplane executors program. Also each gateway's
 * allocation stream version, which the executors report back once programmed.
 */
export class NatSlotsProjection implements Projection {
  readonly name = NAT_SLOTS_PROJECTION_NAME;

  async apply(recorded: RecordedEvent, manager: EntityManager): Promise<void> {
    if (!ALLOCATION_TYPES.has(recorded.type)) return;
    const event = recorded as unknown as AllocationEvent;
    const gatewayUid = event.data.gatewayUid;
    switch (event.type) {
      case 'NATSlotAssigned': {
        const d = event.data;
        await manager.query(
          `INSERT INTO natgw_nat_slots (gateway_uid, nic_uid, nic_name, namespace, node_name, family,
                                        private_ip, nat_ip, port, end_port, vni)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (gateway_uid, nic_uid) DO UPDATE SET nic_name = EXCLUDED.nic_name,
             namespace = EXCLUDED.namespace, node_name = EXCLUDED.node_name, family = EXCLUDED.family,
             private_ip = EXCLUDED.private_ip, nat_ip = EXCLUDED.nat_ip, port = EXCLUDED.port,
             end_port = EXCLUDED.end_port, vni = EXCLUDED.vni`,
          [
            gatewayUid,
            d.nicUid,
            d.nicName,
            d.namespace,
            d.nodeName ?? null,
            ipFamilyOf(d.ip),
            d.privateIp,
            d.ip,
            d.port,
            d.endPort,
            d.vni ?? null,
          ],
        );
        break;
      }
      case 'NATSlotReleased':
        await manager.query(`DELETE FROM natgw_nat_slots WHERE gateway_uid = $1 AND nic_uid = $2`, [
          gatewayUid,
          event.data.nicUid,
        ]);
        break;
      case 'AllocationClosed':
        await manager.query(`DELETE FROM natgw_nat_slots WHERE gateway_uid = $1`, [gatewayUid]);
        break;
      case 'NATGatewayIPAssigned':
      case 'NATGatewayIPReleased':
      case 'AllocationPending':
      case 'AllocationSatisfied':
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown allocation event ${JSON.stringify(never)}`);
      }
    }
    await manager.query(
      `INSERT INTO natgw_allocation_versions (gateway_uid, version, closed) VALUES ($1, $2, $3)
       ON CONFLICT (gateway_uid) DO UPDATE SET version = EXCLUDED.version, closed = EXCLUDED.closed`,
      [gatewayUid, recorded.version, event.type === 'AllocationClosed'],
    );
  }

  async reset(manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM natgw_nat_slots');
    await manager.query('DELETE FROM natgw_allocation_versions');
  }
}
