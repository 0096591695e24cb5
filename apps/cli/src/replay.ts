import { DataSource } from 'typeorm';
import { allocationStatesAt, GatewayNatTable, natTableOf } from '@natgw/domain';
import type { ProgressCallback } from '@natgw/platform';
import { AllocationHistoryReader, GatewayIdentity } from '@natgw/projections';

/** One gateway's NAT table as it was at the replayed instant. */
export interface ReplayedGateway {
  uid: string;
  namespace?: string;
  name?: string;
  table: GatewayNatTable;
}

/**
 * The NAT table of every gateway whose allocation was open at `at`, folded from
 * the allocation streams recorded up to then; sorted by namespace and name.
 * `onProgress` hears how many events were read. An instant before the log's
 * retention window (`log:prune`) is refused.
 */
export async function replayNatTables(
  ds: DataSource,
  at: Date,
  onProgress?: ProgressCallback,
): Promise<ReplayedGateway[]> {
  const reader = new AllocationHistoryReader(ds);
  const since = await reader.retainedSince();
  if (since && at.getTime() < since.getTime())
    throw new Error(
      `--at ${at.toISOString()} is before the event log's retention window, which starts at ${since.toISOString()} (older events were pruned)`,
    );
  // One read today: progress says when it starts and how many events it brought.
  onProgress?.(0, 1);
  const events = await reader.allGatewayEvents(at);
  onProgress?.(events.length, events.length);
  const states = allocationStatesAt(events, at);
  const open = [...states].filter(([, state]) => state.status === 'open');
  const names = await reader.gatewayIdentities(open.map(([uid]) => uid));
  const key = (g: ReplayedGateway) => `${g.namespace ?? '~'}/${g.name ?? g.uid}`;
  return open
    .map(([uid, state]) => {
      const id: GatewayIdentity | undefined = names.get(uid);
      return { uid, namespace: id?.namespace, name: id?.name, table: natTableOf(state) };
    })
    .sort((a, b) => key(a).localeCompare(key(b)));
}

/** The replay for people: one block per gateway, one line per slot. */
export function formatReplay(at: Date, gateways: readonly ReplayedGateway[]): string {
  const lines = [`NAT tables at ${at.toISOString()}: ${gateways.length} gateway(s)`];
  for (const g of gateways) {
    const title = g.name ? `${g.namespace}/${g.name}` : '(name not in the log)';
    lines.push('', `NATGateway ${title} uid=${g.uid}`);
    if (g.table.ips.length === 0) lines.push('  (no public IPs)');
    for (const ip of g.table.ips) {
      lines.push(`  ${ip.ip}${ip.sections.length === 0 ? '  (no slots)' : ''}`);
      for (const s of ip.sections) {
        const node = s.targetRef.nodeName ? ` node=${s.targetRef.nodeName}` : '';
        lines.push(
          `    ${`${s.port}-${s.endPort}`.padEnd(11)} ${s.ip.padEnd(15)} nic=${s.targetRef.name} uid=${s.targetRef.uid}${node}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
