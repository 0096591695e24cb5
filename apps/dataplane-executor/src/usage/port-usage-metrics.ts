import { nearPortExhaustion } from '@natgw/domain';
import { Metrics, NATGW_METRICS } from '@natgw/platform';
import type { GatewayNames } from './port-usage-report';
import type { SlotUsage } from './usage-tracker';

/**
 * At most this many per-NIC series: a node where more NICs are near exhaustion exports the
 * busiest ones (the per-gateway aggregates still count all of them).
 */
export const MAX_NIC_SERIES = 1000;

type GatewayLabels = { node: string; namespace: string; gateway: string };
type NicLabels = {
  namespace: string;
  gateway: string;
  network_interface: string;
  public_ip: string;
};

/**
 * Exports port usage with bounded cardinality: per node and gateway, the connections, the
 * highest usage ratio and the slots near or at exhaustion; per NIC slot only while the slot is
 * near exhaustion (peak >= 80%), at most MAX_NIC_SERIES of them. Series that no longer apply are
 * removed, so a node with 50,000 quiet NICs exports a handful of series per gateway.
 */
export class PortUsageMetrics {
  private gatewaySeries = new Map<string, GatewayLabels>();
  private nicSeries = new Map<string, NicLabels>();

  constructor(
    private readonly metrics: Metrics,
    private readonly node: string,
  ) {
    metrics.counter(NATGW_METRICS.conntrackInsertFailed).inc({ node }, 0);
    // Declared from the start (series come with usage), so dashboards and alerts find them.
    for (const def of [
      NATGW_METRICS.natConnections,
      NATGW_METRICS.natPortUsageMaxRatio,
      NATGW_METRICS.natSlotsNearExhaustion,
      NATGW_METRICS.natSlotsExhausted,
      NATGW_METRICS.natSlotPortsInUse,
      NATGW_METRICS.natSlotPorts,
      NATGW_METRICS.natSlotPortsPeak,
      NATGW_METRICS.portUsageScanEntries,
    ])
      metrics.gauge(def);
    metrics.counter(NATGW_METRICS.portsExhausted);
    metrics.histogram(NATGW_METRICS.portUsageScanSeconds);
  }

  /** `usages`: the slots with some usage; `gatewayUids`: every gateway with a slot on the node (0 when quiet). */
  update(
    usages: readonly SlotUsage[],
    names: GatewayNames,
    gatewayUids: Iterable<string> = [],
  ): void {
    const m = this.metrics;
    const perGateway = new Map<
      string,
      { labels: GatewayLabels; connections: number; ratio: number; near: number; exhausted: number }
    >();
    const near: Array<{ usage: SlotUsage; labels: NicLabels }> = [];
    const aggregate = (gateway: { namespace: string; name: string }) => {
      const key = `${gateway.namespace}/${gateway.name}`;
      let agg = perGateway.get(key);
      if (!agg) {
        agg = {
          labels: { node: this.node, namespace: gateway.namespace, gateway: gateway.name },
          connections: 0,
          ratio: 0,
          near: 0,
          exhausted: 0,
        };
        perGateway.set(key, agg);
      }
      return agg;
    };
    for (const uid of gatewayUids) {
      const gateway = names(uid);
      if (gateway) aggregate(gateway);
    }
    for (const usage of usages) {
      const gateway = names(usage.rule.gatewayUid);
      if (!gateway) continue;
      const agg = aggregate(gateway);
      agg.connections += usage.connections;
      agg.ratio = Math.max(agg.ratio, Math.min(1, usage.inUse / usage.size));
      if (usage.exhausted) agg.exhausted += 1;
      if (nearPortExhaustion(usage.peak, usage.size)) {
        agg.near += 1;
        near.push({
          usage,
          labels: {
            namespace: gateway.namespace,
            gateway: gateway.name,
            network_interface: usage.rule.nicName ?? usage.rule.nicUid,
            public_ip: usage.rule.natIp,
          },
        });
      }
    }
    const nextGateways = new Map<string, GatewayLabels>();
    for (const [key, agg] of perGateway) {
      m.gauge(NATGW_METRICS.natConnections).set(agg.labels, agg.connections);
      m.gauge(NATGW_METRICS.natPortUsageMaxRatio).set(agg.labels, agg.ratio);
      m.gauge(NATGW_METRICS.natSlotsNearExhaustion).set(agg.labels, agg.near);
      m.gauge(NATGW_METRICS.natSlotsExhausted).set(agg.labels, agg.exhausted);
      nextGateways.set(key, agg.labels);
    }
    for (const [key, labels] of this.gatewaySeries) {
      if (nextGateways.has(key)) continue;
      for (const def of [
        NATGW_METRICS.natConnections,
        NATGW_METRICS.natPortUsageMaxRatio,
        NATGW_METRICS.natSlotsNearExhaustion,
        NATGW_METRICS.natSlotsExhausted,
      ])
        m.gauge(def).remove(labels);
    }
    this.gatewaySeries = nextGateways;

    near.sort((a, b) => b.usage.peak / b.usage.size - a.usage.peak / a.usage.size);
    const nextNics = new Map<string, NicLabels>();
    for (const { usage, labels } of near.slice(0, MAX_NIC_SERIES)) {
      m.gauge(NATGW_METRICS.natSlotPortsInUse).set(labels, usage.inUse);
      m.gauge(NATGW_METRICS.natSlotPorts).set(labels, usage.size);
      m.gauge(NATGW_METRICS.natSlotPortsPeak).set(labels, usage.peak);
      nextNics.set(Object.values(labels).join('|'), labels);
    }
    for (const [key, labels] of this.nicSeries) {
      if (nextNics.has(key)) continue;
      for (const def of [
        NATGW_METRICS.natSlotPortsInUse,
        NATGW_METRICS.natSlotPorts,
        NATGW_METRICS.natSlotPortsPeak,
      ])
        m.gauge(def).remove(labels);
    }
    this.nicSeries = nextNics;
  }

  /** A slot became exhausted. */
  exhausted(usage: SlotUsage, names: GatewayNames): void {
    const gateway = names(usage.rule.gatewayUid);
    if (!gateway) return;
    this.metrics
      .counter(NATGW_METRICS.portsExhausted)
      .inc({ namespace: gateway.namespace, gateway: gateway.name });
  }

  /** The kernel's insert_failed counter grew by this much since the last count. */
  insertFailed(delta: number): void {
    if (delta > 0)
      this.metrics.counter(NATGW_METRICS.conntrackInsertFailed).inc({ node: this.node }, delta);
  }

  scanned(entries: number, seconds: number): void {
    this.metrics.gauge(NATGW_METRICS.portUsageScanEntries).set({ node: this.node }, entries);
    this.metrics
      .histogram(NATGW_METRICS.portUsageScanSeconds)
      .observe({ node: this.node }, seconds);
  }
}
