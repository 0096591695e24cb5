import type { DataSource } from 'typeorm';
import type { NatRule } from '@natgw/domain';
import type { PostgresEventStore } from '@natgw/event-store';
import { loadConfig, Metrics } from '@natgw/platform';
import { ExecutorConfig } from '../executor.config';
import type { DataplaneService } from '../reconciler/dataplane.service';
import { SlotIndex } from './slot-index';
import { PortUsageService } from './port-usage.service';

const GW = '11111111-1111-4111-8111-111111111111';
const RULE: NatRule = {
  nicUid: 'nic-a',
  nicName: 'vm-a',
  gatewayUid: GW,
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 1027,
};

/** The service with a stand-in conntrack that reports `usage.inUse` for the one slot. */
function setup() {
  const usage = { inUse: 0, fail: false, insertFailed: 0 };
  const appended: Array<{ stream: string; events: Array<{ type: string; data: unknown }> }> = [];
  const store = {
    append: async (stream: string, events: Array<{ type: string; data: unknown }>) => {
      appended.push({ stream, events });
    },
  } as unknown as PostgresEventStore;
  const dataSource = {
    query: async () => [{ uid: GW, namespace: 'default', name: 'gw' }],
  } as unknown as DataSource;
  const rules = [RULE];
  const dataplane = { reconciler: { programmedRules: rules } } as unknown as DataplaneService;
  const metrics = new Metrics({ service: 'test', defaultMetrics: false });
  const meter = {
    sample: async (r: readonly NatRule[]) => {
      if (usage.fail) throw new Error('conntrack: Operation not permitted');
      const index = new SlotIndex(r);
      const inUse = usage.inUse;
      return {
        index,
        count: {
          bySlot: new Map(
            inUse > 0
              ? [[index.slots[0], { connections: inUse, inUse, exhausted: inUse >= 4 }]]
              : [],
          ),
          entries: inUse,
          foreign: 0,
        },
        insertFailed: usage.insertFailed,
        seconds: 0.01,
      };
    },
  };
  const config = loadConfig(ExecutorConfig, {
    DATAPLANE_BACKEND: 'nftables',
    NODE_NAME: 'node-a',
    PORT_USAGE_REPORT_SECONDS: '30',
  });
  const service = new PortUsageService(config, dataplane, store, dataSource, metrics, meter);
  const inUseReported = () =>
    appended.flatMap((a) =>
      a.events.flatMap((e) =>
        (e.data as { slots: Array<{ inUse: number }> }).slots.map((s) => s.inUse),
      ),
    );
  return { usage, appended, service, metrics, inUseReported };
}

describe('PortUsageService', () => {
  it('reports at most once per PORT_USAGE_REPORT_SECONDS, and only what changed', async () => {
    const { usage, appended, service, inUseReported } = setup();
    usage.inUse = 2;
    await service.pass(0);
    expect(appended.map((a) => [a.stream, a.events.map((e) => e.type)])).toEqual([
      ['dataplane:node-a', ['NATPortUsageReported']],
    ]);
    usage.inUse = 3;
    await service.pass(10_000); // changed, but the last report is 10 s old
    expect(inUseReported()).toEqual([2]);
    await service.pass(30_000);
    expect(inUseReported()).toEqual([2, 3]);
    await service.pass(60_000); // due, but nothing changed
    expect(inUseReported()).toEqual([2, 3]);
    expect(service.passes).toBe(4);
  });

  it('counts an exhaustion episode once, and the kernel drops by their growth', async () => {
    const { usage, service, metrics } = setup();
    usage.inUse = 4;
    usage.insertFailed = 10;
    await service.pass(0);
    usage.insertFailed = 13;
    await service.pass(1_000);
    const text = await metrics.render();
    expect(text).toMatch(
      /natgw_ports_exhausted_total\{namespace="default",gateway="gw",service="test"\} 1/,
    );
    expect(text).toMatch(/natgw_conntrack_insert_failed_total\{node="node-a",service="test"\} 3/);
    expect(text).toMatch(
      /natgw_nat_slots_exhausted\{node="node-a",namespace="default",gateway="gw",service="test"\} 1/,
    );
  });

  it('survives a failing count and goes on with the next', async () => {
    const { usage, service, inUseReported } = setup();
    usage.fail = true;
    await expect(service.pass(0)).resolves.toBeUndefined();
    usage.fail = false;
    usage.inUse = 1;
    await service.pass(1_000);
    expect(inUseReported()).toEqual([1]);
  });

  it('does not count with the memory backend', () => {
    const config = loadConfig(ExecutorConfig, { DATAPLANE_BACKEND: 'memory' });
    const service = new PortUsageService(
      config,
      {} as DataplaneService,
      {} as PostgresEventStore,
      {} as DataSource,
      new Metrics({ service: 'test', defaultMetrics: false }),
    );
    expect(service.enabled).toBe(false);
  });
});
