import { DataSource, EntityManager } from 'typeorm';
import { parseResourceEventType, ResourceKind, resourceStreamId } from '@natgw/contracts';
import type { AllocationEvent, TimedAllocationEvent, TimedLifecycleEvent } from '@natgw/domain';
import { readLogRetention } from '@natgw/event-store';

interface EventRow {
  stream_id: string;
  type: string;
  data: unknown;
  recorded_at: Date;
}

// The slot events, retiring ones included: a drained IP's retiring slot keeps serving the NIC's
// existing connections until it is released, so lookups must see it (indexes of RetiringSlotAuditIndexes).
const SLOT_TYPES = `('NATSlotAssigned', 'NATSlotReleased', 'NATSlotRetiring', 'NATRetiringSlotReleased')`;

function timed(rows: EventRow[]): TimedAllocationEvent[] {
  return rows.map((r) => ({
    event: { type: r.type, data: r.data } as AllocationEvent,
    recordedAt: r.recorded_at,
  }));
}

/** A gateway's name, as its `NATGatewayCreated` event recorded it. */
export interface GatewayIdentity {
  uid: string;
  namespace: string;
  name: string;
}

/**
 * Reads the allocation history the audit lookups fold (see @natgw/domain
 * `slotHolderAt`, `natTablesAt`): only events recorded at or before the instant,
 * through the audit indexes (AuditIndexes1700000300000), never the whole log.
 */
export class AllocationHistoryReader {
  constructor(private readonly db: DataSource | EntityManager) {}

  /**
   * The earliest instant the lookups are exact for: undefined while the log was
   * never pruned (every instant), else the retention horizon `npm run log:prune`
   * stored (events recorded before it may be gone).
   */
  async retainedSince(): Promise<Date | undefined> {
    return (await readLogRetention(this.db))?.retainedSince;
  }

  private query(sql: string, params: unknown[]): Promise<EventRow[]> {
    return this.db.query(sql, params);
  }

  /**
   * What `slotHolderAt` needs for one public IP: the slot events of every NIC
   * that had a slot on it by `at` (on any address), and the AllocationClosed of
   * the gateways that gave those slots; in stream order.
   */
  async eventsForPublicIp(ip: string, at: Date): Promise<TimedAllocationEvent[]> {
    // The NICs and gateways come first, then each one's events through its own index
    // lookup (LATERAL ... OFFSET 0 keeps the planner from joining them with a scan
    // of every slot event, which it picks on a large log because it cannot estimate
    // how few events one address has). JIT is off: those estimates would also
    // compile the plan for seconds (EXPLAIN ANALYZE on a 1M-event log: 2 s of JIT,
    // 5 ms of execution). See docs/architecture.md.
    const rows = await this.withoutJit(
      `WITH touched AS MATERIALIZED (
         SELECT DISTINCT data->>'nicUid' AS nic, 'allocation:' || (data->>'gatewayUid') AS stream
           FROM natgw_events
          WHERE type IN ${SLOT_TYPES} AND data->>'ip' = $1 AND recorded_at <= $2
       )
       SELECT e.stream_id, e.type, e.data, e.recorded_at, e.version
         FROM (SELECT DISTINCT nic FROM touched) t CROSS JOIN LATERAL (
           SELECT stream_id, type, data, recorded_at, version FROM natgw_events
            WHERE type IN ${SLOT_TYPES} AND data->>'nicUid' = t.nic AND recorded_at <= $2
           OFFSET 0) e
       UNION ALL
       SELECT e.stream_id, e.type, e.data, e.recorded_at, e.version
         FROM (SELECT DISTINCT stream FROM touched) t CROSS JOIN LATERAL (
           SELECT stream_id, type, data, recorded_at, version FROM natgw_events
            WHERE stream_id = t.stream AND type = 'AllocationClosed' AND recorded_at <= $2
           OFFSET 0) e
       ORDER BY stream_id, version`,
      [ip, at],
    );
    return timed(rows);
  }

  /** Runs one query with JIT compilation off (in a transaction of its own when given a DataSource). */
  private withoutJit(sql: string, params: unknown[]): Promise<EventRow[]> {
    const run = async (m: EntityManager): Promise<EventRow[]> => {
      await m.query('SET LOCAL jit = off');
      return m.query(sql, params);
    };
    return this.db instanceof DataSource ? this.db.transaction(run) : run(this.db);
  }

  /** One gateway's allocation stream up to `at`. */
  async gatewayEvents(gatewayUid: string, at: Date): Promise<TimedAllocationEvent[]> {
    const rows = await this.query(
      `SELECT stream_id, type, data, recorded_at FROM natgw_events
        WHERE stream_id = $1 AND recorded_at <= $2 ORDER BY version`,
      [`allocation:${gatewayUid}`, at],
    );
    return timed(rows);
  }

  /** Every allocation stream up to `at`, each in stream order. */
  async allGatewayEvents(at: Date): Promise<TimedAllocationEvent[]> {
    const rows = await this.query(
      `SELECT stream_id, type, data, recorded_at FROM natgw_events
        WHERE stream_id LIKE 'allocation:%' AND recorded_at <= $1
        ORDER BY stream_id, version`,
      [at],
    );
    return timed(rows);
  }

  /** The namespace and name of gateways by uid (deleted ones included). */
  async gatewayIdentities(uids: readonly string[]): Promise<Map<string, GatewayIdentity>> {
    const found = new Map<string, GatewayIdentity>();
    if (uids.length === 0) return found;
    const rows: Array<{ uid: string; namespace: string; name: string }> = await this.db.query(
      `SELECT data->>'uid' AS uid, data->>'namespace' AS namespace, data->>'name' AS name
         FROM natgw_events WHERE type = 'NATGatewayCreated' AND data->>'uid' = ANY($1::text[])`,
      [uids],
    );
    for (const r of rows) found.set(r.uid, r);
    return found;
  }

  /** The life-cycle events of one named object up to `at`, for `incarnationAt`. */
  async lifecycle(
    kind: ResourceKind,
    namespace: string,
    name: string,
    at: Date,
  ): Promise<TimedLifecycleEvent[]> {
    const rows: Array<EventRow & { uid: string }> = await this.db.query(
      `SELECT type, data->>'uid' AS uid, recorded_at FROM natgw_events
        WHERE stream_id = $1 AND recorded_at <= $2 ORDER BY version`,
      [resourceStreamId(kind, namespace, name), at],
    );
    return rows.map((r) => {
      const action = parseResourceEventType(r.type)?.action;
      return {
        action: action === 'Created' || action === 'Deleted' ? action : 'Other',
        uid: r.uid,
        recordedAt: r.recorded_at,
      };
    });
  }
}
