// What must hold once a natgw has settled, each check returning the broken
// rules in words (empty when all hold): acknowledged writes in the log exactly
// once, a log without gaps or duplicates, read models equal to their rebuild,
// dataplanes equal to the desired state, and dead letters only for poison.
import { isDeepStrictEqual } from 'node:util';
import { API_GATEWAY_SOURCE } from '@natgw/contracts';
import { diffNatRules, isNatRuleDiffEmpty, type NatRule } from '@natgw/domain';
import { openDatabase, PostgresEventStore, rebuildProjection } from '@natgw/event-store';
import {
  NAT_TABLE_PROGRAMMED,
  NatSlotsProjection,
  readNodeNatTable,
  ResourceProjection,
} from '@natgw/projections';
import { NftablesBackend } from '../../../apps/dataplane-executor/src/backends';
import type { QueryFn } from './allocation-invariants';
import type { FaultLedger } from './fault-ledger';
import { NATGW_SCHEMA } from '@natgw/schema';

type Counts = Record<string, number>;

function add(map: Map<string, Counts>, key: string, type: string, n: number) {
  const c = map.get(key) ?? {};
  c[type] = (c[type] ?? 0) + n;
  map.set(key, c);
}

/**
 * The claim streams a write of the object in `stream` may append to beside its own:
 * a Network's VNI (`vni:<n>`), a NetworkInterface's private addresses in its
 * namespace (`networkaddress:<ns>/<network>/<ip>`). Nothing else.
 */
function mayAlsoAppendTo(stream: string, other: string): boolean {
  const [category, key] = stream.split(':');
  const namespace = key?.split('/')[0];
  if (category === 'network') return other.startsWith('vni:');
  if (category === 'networkinterface') return other.startsWith(`networkaddress:${namespace}/`);
  return false;
}

/**
 * Every write a client saw acknowledged (2xx) left exactly the events it should,
 * once: the events the API appended with the attempt's correlation id, in the
 * write's stream (and, for Networks and NICs, in their claim streams only). When an
 * earlier attempt's answer was lost, the attempts together must have left them (a
 * retried delete of an object already being deleted appends nothing). A write
 * refused with a definite answer left nothing.
 */
export async function acknowledgedWriteProblems(
  query: QueryFn,
  ledger: FaultLedger,
): Promise<string[]> {
  const rows = await query<{ stream_id: string; cid: string; type: string; n: number }>(
    `SELECT stream_id, metadata->>'correlationId' AS cid, type, count(*)::int AS n
       FROM natgw_events WHERE metadata->>'source' = $1 GROUP BY 1, 2, 3`,
    [API_GATEWAY_SOURCE],
  );
  const byCid = new Map<string, Counts>();
  const streamsOf = new Map<string, Set<string>>();
  for (const r of rows) {
    add(byCid, `${r.stream_id} ${r.cid}`, r.type, r.n);
    streamsOf.set(r.cid, (streamsOf.get(r.cid) ?? new Set()).add(r.stream_id));
  }
  const problems: string[] = [];
  for (const w of ledger.acked) {
    const own = byCid.get(`${w.stream} ${w.correlationId}`) ?? {};
    const elsewhere = [...(streamsOf.get(w.correlationId) ?? [])].filter(
      (s) => s !== w.stream && !mayAlsoAppendTo(w.stream, s),
    );
    if (elsewhere.length > 0)
      problems.push(`${w.what} (${w.correlationId}) also appended to ${elsewhere.join(', ')}`);
    if (isDeepStrictEqual(own, w.expect)) continue;
    if (w.ambiguousBefore && Object.keys(own).length === 0) {
      const together: Counts = {};
      for (const cid of w.attempts) {
        for (const [type, n] of Object.entries(byCid.get(`${w.stream} ${cid}`) ?? {}))
          together[type] = (together[type] ?? 0) + n;
      }
      if (isDeepStrictEqual(together, w.expect)) continue;
      problems.push(
        `${w.what}: its attempts ${w.attempts.join(', ')} appended ${JSON.stringify(together)}, expected ${JSON.stringify(w.expect)}`,
      );
      continue;
    }
    problems.push(
      `${w.what} (${w.via}, ${w.correlationId}) appended ${JSON.stringify(own)}, expected ${JSON.stringify(w.expect)} exactly once`,
    );
  }
  for (const r of ledger.refused) {
    if (streamsOf.has(r.correlationId))
      problems.push(`${r.what} was answered ${r.status} but appended events (${r.correlationId})`);
  }
  return problems;
}

/** Per-stream versions run 1..n without gaps, match natgw_streams, and event ids are unique. */
export async function logIntegrityProblems(query: QueryFn): Promise<string[]> {
  const problems: string[] = [];
  const streams = await query<{
    stream_id: string;
    n: number;
    lo: number;
    hi: number;
    distinct_versions: number;
    recorded: number | null;
  }>(
    `SELECT e.stream_id, count(*)::int AS n, min(e.version) AS lo, max(e.version) AS hi,
            count(DISTINCT e.version)::int AS distinct_versions, s.version AS recorded
       FROM natgw_events e LEFT JOIN natgw_streams s USING (stream_id)
      GROUP BY e.stream_id, s.version`,
  );
  for (const s of streams) {
    if (s.lo !== 1 || s.hi !== s.n || s.distinct_versions !== s.n)
      problems.push(
        `stream ${s.stream_id}: ${s.n} events with versions ${s.lo}..${s.hi} (${s.distinct_versions} distinct)`,
      );
    if (s.recorded !== s.hi)
      problems.push(`stream ${s.stream_id}: natgw_streams says ${s.recorded}, the log ${s.hi}`);
  }
  const [ids] = await query<{ n: number; ids: number; positions: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS ids,
            count(DISTINCT global_position)::int AS positions FROM natgw_events`,
  );
  if (ids.ids !== ids.n || ids.positions !== ids.n)
    problems.push(`${ids.n} events but ${ids.ids} event ids and ${ids.positions} positions`);
  const orphans = await query<{ stream_id: string; version: number }>(
    `SELECT stream_id, version FROM natgw_streams s
      WHERE version <> 0 AND NOT EXISTS (SELECT 1 FROM natgw_events e WHERE e.stream_id = s.stream_id)`,
  );
  for (const o of orphans)
    problems.push(`natgw_streams has ${o.stream_id} at ${o.version} without events`);
  return problems;
}

/** The checkpoint names that must reach the end of the log once the system is quiet. */
export function settledCheckpoints(natsStream: string): string[] {
  return ['projection:resources', 'projection:nat-slots', `relay:${natsStream}`];
}

/** Checkpoints that are not at the last event in commit order (empty: all caught up). */
export async function laggingCheckpoints(query: QueryFn, names: string[]): Promise<string[]> {
  const [head] = await query<{ tx: string; pos: string }>(
    `SELECT transaction_id::text AS tx, global_position::text AS pos FROM natgw_events
      ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
  );
  const rows = await query<{ name: string; tx: string; pos: string }>(
    `SELECT name, transaction_id::text AS tx, global_position::text AS pos FROM natgw_checkpoints
      WHERE name = ANY($1)`,
    [names],
  );
  const at = new Map(rows.map((r) => [r.name, `${r.tx}/${r.pos}`]));
  const want = head ? `${head.tx}/${head.pos}` : undefined;
  return names
    .filter((n) => at.get(n) !== want)
    .map((n) => `${n} at ${at.get(n) ?? 'nothing'}, log ends at ${want}`);
}

/** The read models as comparable values: objects without resourceVersion, slots, versions. */
async function readModels(query: QueryFn) {
  return {
    resources: await query(
      `SELECT kind, namespace, name, uid::text AS uid, stream_version, labels,
              (object #- '{metadata,resourceVersion}') AS object, subresources
         FROM natgw_resources ORDER BY kind, namespace, name`,
    ),
    slots: await query(
      `SELECT gateway_uid::text AS gateway_uid, nic_uid::text AS nic_uid, nic_name, namespace,
              node_name, family, private_ip, nat_ip, port, end_port, vni
         FROM natgw_nat_slots ORDER BY gateway_uid, nic_uid`,
    ),
    versions: await query(
      `SELECT gateway_uid::text AS gateway_uid, version, closed FROM natgw_allocation_versions
        ORDER BY gateway_uid`,
    ),
  };
}

/**
 * Rebuilds `resources` and `nat-slots` from the log in this process and compares
 * them with the live read models (run with the services stopped). Returns the
 * differences and the number of rows compared.
 */
export async function projectionRebuildProblems(
  databaseUrl: string,
  query: QueryFn,
): Promise<{ problems: string[]; rows: number }> {
  const before = await readModels(query);
  const ds = await openDatabase({ url: databaseUrl, poolSize: 2, ...NATGW_SCHEMA });
  try {
    const store = new PostgresEventStore(ds);
    await rebuildProjection(ds, store, new ResourceProjection());
    await rebuildProjection(ds, store, new NatSlotsProjection());
  } finally {
    await ds.destroy();
  }
  const after = await readModels(query);
  const problems: string[] = [];
  const keys = {
    resources: (r: Record<string, unknown>) => `${r.kind} ${r.namespace}/${r.name}`,
    slots: (r: Record<string, unknown>) => `gateway ${r.gateway_uid} nic ${r.nic_uid}`,
    versions: (r: Record<string, unknown>) => `allocation ${r.gateway_uid}`,
  };
  for (const model of ['resources', 'slots', 'versions'] as const) {
    const live = new Map(before[model].map((r) => [keys[model](r), r]));
    const rebuilt = new Map(after[model].map((r) => [keys[model](r), r]));
    for (const [key, row] of live) {
      if (!rebuilt.has(key)) problems.push(`${key}: in the live read model only`);
      else if (!isDeepStrictEqual(row, rebuilt.get(key)))
        problems.push(
          `${key}: live ${JSON.stringify(row).slice(0, 400)} != rebuilt ${JSON.stringify(rebuilt.get(key)).slice(0, 400)}`,
        );
    }
    for (const key of rebuilt.keys())
      if (!live.has(key)) problems.push(`${key}: in the rebuilt read model only`);
  }
  const rows = before.resources.length + before.slots.length + before.versions.length;
  return { problems, rows };
}

interface ProgrammedReport {
  rules: number;
  gateways: Record<string, number>;
  rejected?: Array<{ nicUid: string; family: string; reason: string }>;
}

/** The node's last NATTableProgrammed report. */
async function lastReport(query: QueryFn, node: string): Promise<ProgrammedReport | undefined> {
  const [report] = await query<{ data: ProgrammedReport }>(
    `SELECT data FROM natgw_events WHERE stream_id = $1 AND type = $2
      ORDER BY version DESC LIMIT 1`,
    [`dataplane:${node}`, NAT_TABLE_PROGRAMMED],
  );
  return report?.data;
}

/**
 * What a shared-mode node may leave out, by the rule's text: a rule is rejected only when
 * another desired rule of the node has the same family and private address (a clash), with
 * reason AddressConflict, and of each clashing group at most one rule stays programmed. Returns
 * the rejected rule keys and the broken rules in words.
 */
function rejectionProblems(
  node: string,
  desired: readonly NatRule[],
  report: ProgrammedReport | undefined,
): { rejected: Set<string>; problems: string[] } {
  const problems: string[] = [];
  const rejected = new Set((report?.rejected ?? []).map((r) => `${r.family}/${r.nicUid}`));
  const groups = new Map<string, NatRule[]>();
  for (const rule of desired) {
    const key = `${rule.family}/${rule.privateIp}`;
    groups.set(key, [...(groups.get(key) ?? []), rule]);
  }
  for (const r of report?.rejected ?? []) {
    const rule = desired.find((d) => d.family === r.family && d.nicUid === r.nicUid);
    if (!rule)
      problems.push(`${node}: rejected ${r.family} rule of NIC ${r.nicUid} is not desired`);
    else if (
      r.reason !== 'AddressConflict' ||
      groups.get(`${rule.family}/${rule.privateIp}`)!.length < 2
    )
      problems.push(
        `${node}: rejected ${r.family} rule of NIC ${r.nicUid} (${r.reason}) clashes with no other rule`,
      );
  }
  for (const [address, rules] of groups) {
    const kept = rules.filter((rule) => !rejected.has(`${rule.family}/${rule.nicUid}`));
    if (kept.length > 1) problems.push(`${node}: ${kept.length} programmed rules share ${address}`);
  }
  return { rejected, problems };
}

/**
 * The nftables node's table, read back, equals its desired rules minus the ones its last
 * report rejected; the memory node's last NATTableProgrammed report names the desired gateway
 * versions and rule count minus its rejections (its table lives only inside the executor).
 * Rejections must be real clashes (shared mode: one private address twice on a node).
 */
export async function dataplaneProblems(
  databaseUrl: string,
  query: QueryFn,
  nodes: { nftables: { node: string; netns: string }; memory: { node: string } },
): Promise<{
  problems: string[];
  rules: Record<string, number>;
  rejected: Record<string, number>;
}> {
  const ds = await openDatabase({ url: databaseUrl, poolSize: 2, ...NATGW_SCHEMA });
  try {
    const problems: string[] = [];
    const rules: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    const shared = (table: { rules: NatRule[] }) =>
      table.rules.map(({ vni: _vni, ...rule }) => rule);
    const { node, netns } = nodes.nftables;
    const wantA = shared(await readNodeNatTable(ds.manager, node));
    const checkA = rejectionProblems(node, wantA, await lastReport(query, node));
    problems.push(...checkA.problems);
    const programmedA = wantA.filter((r) => !checkA.rejected.has(`${r.family}/${r.nicUid}`));
    const actual = await new NftablesBackend({ netns, uplinks: ['lo'] }).read();
    const diff = diffNatRules(programmedA, actual);
    rules[node] = programmedA.length;
    rejected[node] = checkA.rejected.size;
    if (!isNatRuleDiffEmpty(diff))
      problems.push(
        `${node} (nftables): ${diff.missing.length} missing, ${diff.extra.length} extra, ${diff.changed.length} changed rules`,
      );
    const memory = nodes.memory.node;
    const tableB = await readNodeNatTable(ds.manager, memory);
    const wantB = shared(tableB);
    const report = await lastReport(query, memory);
    const checkB = rejectionProblems(memory, wantB, report);
    problems.push(...checkB.problems);
    const programmedB = wantB.length - checkB.rejected.size;
    rules[memory] = programmedB;
    rejected[memory] = checkB.rejected.size;
    if (!report) problems.push(`${memory} (memory): no ${NAT_TABLE_PROGRAMMED} report`);
    else if (
      report.rules !== programmedB ||
      !isDeepStrictEqual(report.gateways, tableB.gatewayVersions)
    ) {
      problems.push(
        `${memory} (memory): last report ${report.rules} rules at ${JSON.stringify(report.gateways)}, desired ${programmedB} at ${JSON.stringify(tableB.gatewayVersions)}`,
      );
    }
    return { problems, rules, rejected };
  } finally {
    await ds.destroy();
  }
}

/**
 * Dead letters name exactly the poison messages: every MessageDeadLettered event
 * is about one of `poison` (JetStream sequences of `stream`), and each poison
 * message was dead-lettered by at least one consumer.
 */
export async function deadLetterProblems(
  query: QueryFn,
  stream: string,
  poison: number[],
): Promise<{ problems: string[]; deadLetters: number }> {
  const rows = await query<{ stream_id: string; data: { stream: string; streamSequence: number } }>(
    `SELECT stream_id, data FROM natgw_events WHERE type = 'MessageDeadLettered'`,
  );
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    if (!r.stream_id.startsWith('deadletter:'))
      problems.push(`a dead letter in ${r.stream_id}, not in a deadletter:* stream`);
    if (r.data.stream !== stream || !poison.includes(r.data.streamSequence))
      problems.push(
        `${r.stream_id} dead-lettered ${r.data.stream}#${r.data.streamSequence}, which was no poison`,
      );
    else seen.add(r.data.streamSequence);
  }
  for (const seq of poison)
    if (!seen.has(seq)) problems.push(`poison message ${stream}#${seq} was never dead-lettered`);
  return { problems, deadLetters: rows.length };
}
