// Writes synthetic histories (libs/testing synthetic-history) straight into a
// bench database's log, thousands of events a statement, with the stream versions
// the services would have given them: the benches' way to a log of a million
// events in a minute.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { SyntheticEvent, syntheticTenantHistory } from '@natgw/testing';

const BATCH = 5000;

export class SyntheticLogWriter {
  /** Events written so far by this writer. */
  total = 0;
  private rows: SyntheticEvent[] = [];

  private constructor(
    private readonly client: Client,
    private readonly versions: Map<string, number>,
  ) {}

  /** Opens a writer that continues every stream from its stored version. */
  static async open(url: string): Promise<SyntheticLogWriter> {
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ stream_id: string; version: number }>(
      'SELECT stream_id, version FROM natgw_streams',
    );
    return new SyntheticLogWriter(client, new Map(rows.map((r) => [r.stream_id, r.version])));
  }

  async add(events: readonly SyntheticEvent[]): Promise<void> {
    this.rows.push(...events);
    if (this.rows.length >= BATCH) await this.flush();
  }

  /** Writes what is buffered, stores the streams' versions and closes. */
  async close(): Promise<void> {
    try {
      await this.flush();
      await this.client.query(
        `INSERT INTO natgw_streams (stream_id, version)
         SELECT stream_id, max(version) FROM natgw_events GROUP BY stream_id
         ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version`,
      );
      await this.client.query('VACUUM ANALYZE natgw_events');
    } finally {
      await this.client.end();
    }
  }

  private async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    const version = rows.map((r) => {
      const v = (this.versions.get(r.stream) ?? 0) + 1;
      this.versions.set(r.stream, v);
      return v;
    });
    await this.client.query(
      `INSERT INTO natgw_events (stream_id, version, event_id, type, data, metadata)
       SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[])`,
      [
        rows.map((r) => r.stream),
        version,
        rows.map(() => randomUUID()),
        rows.map((r) => r.type),
        rows.map((r) => JSON.stringify(r.data)),
        rows.map((r) => JSON.stringify(r.metadata)),
      ],
    );
    this.total += rows.length;
  }
}

/** Tenant t's creation time in the synthetic histories: one tenant a second from 2026-01-01. */
export function tenantTimestamp(t: number): string {
  return new Date(Date.UTC(2026, 0, 1) + t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Writes whole tenant histories (71 events each) until `count` events, the last
 * one cut short; returns the uid of every tenant's first NIC (for churn).
 */
export async function writeTenants(
  writer: SyntheticLogWriter,
  count: number,
  onProgress?: (done: number, total: number) => void,
): Promise<{ tenants: number; firstNics: string[] }> {
  const firstNics: string[] = [];
  let written = 0;
  let t = 0;
  for (; written < count; t++) {
    const history = syntheticTenantHistory(t, tenantTimestamp(t)).slice(0, count - written);
    const nic = history.find((e) => e.stream === `networkinterface:t${t}/nic-0`);
    firstNics.push(String(nic?.data.uid ?? ''));
    await writer.add(history);
    written += history.length;
    onProgress?.(written, count);
  }
  return { tenants: t, firstNics };
}

/**
 * History that leaves the live state as it is: tenant t's first NIC relabelled
 * (round `r`), and its node reporting its NAT table unchanged - `count` events,
 * round-robin over the tenants.
 */
export async function writeChurn(
  writer: SyntheticLogWriter,
  firstNics: readonly string[],
  count: number,
  round = 0,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (i % 1000 === 0) onProgress?.(i, count);
    const t = Math.floor(i / 2) % firstNics.length;
    const r = round + Math.floor(i / 2 / firstNics.length);
    await writer.add([
      i % 2 === 0
        ? {
            stream: `networkinterface:t${t}/nic-0`,
            type: 'NetworkInterfaceUpdated',
            data: { uid: firstNics[t], generation: 1, labels: { round: `r${r}` } },
            metadata: { source: '/natgw/api-gateway', correlationId: randomUUID() },
          }
        : {
            stream: `dataplane:node-${t}`,
            type: 'NATTableProgrammed',
            data: { node: `node-${t}`, rules: 16, gateways: {} },
            metadata: { source: '/natgw/dataplane-executor', correlationId: 'reconcile:timer' },
          },
    ]);
  }
}
