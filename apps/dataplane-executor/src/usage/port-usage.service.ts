import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PostgresEventStore } from '@natgw/event-store';
import { Metrics } from '@natgw/platform';
import { ALL_NODES, NAT_PORT_USAGE_REPORTED } from '@natgw/projections';
import { ExecutorConfig } from '../executor.config';
import { DataplaneService } from '../reconciler/dataplane.service';
import { dataplaneStreamId, EXECUTOR_SOURCE } from '../reconciler/dataplane-reconciler';
import { GatewayNameCache } from './gateway-names';
import { type PortUsageSample, PortUsageMeter } from './port-usage-meter';
import { PortUsageMetrics } from './port-usage-metrics';
import { portUsageReports } from './port-usage-report';
import { type SlotUsage, UsageTracker } from './usage-tracker';

/** Injection token of what counts conntrack (tests provide a stand-in); PortUsageMeter by default. */
export const PORT_USAGE_METER = Symbol('PORT_USAGE_METER');

/** What the service needs of a meter. */
export interface PortUsageSampler {
  sample(rules: Parameters<PortUsageMeter['sample']>[0]): Promise<PortUsageSample>;
}

/**
 * Measures the node's port usage from conntrack every PORT_USAGE_INTERVAL_SECONDS (nftables
 * backend only: the memory backend has no conntrack), exports it as metrics at once, and records
 * the slots whose usage changed as NATPortUsageReported on `dataplane:<node>`, at most every
 * PORT_USAGE_REPORT_SECONDS.
 */
@Injectable()
export class PortUsageService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('PortUsage');
  private readonly node: string;
  private readonly tracker: UsageTracker;
  private readonly meter: PortUsageSampler;
  private readonly exported: PortUsageMetrics;
  private readonly names: GatewayNameCache;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  private lastInsertFailed?: number;
  private lastError?: string;
  /** Passes completed (for tests and logs). */
  passes = 0;
  /** Told of the slots that became exhausted in a pass, with the pass's time (translation logs). */
  readonly exhaustedListeners: Array<(slots: readonly SlotUsage[], at: number) => void> = [];

  constructor(
    private readonly config: ExecutorConfig,
    private readonly dataplane: DataplaneService,
    private readonly store: PostgresEventStore,
    dataSource: DataSource,
    metrics: Metrics,
    @Optional() @Inject(PORT_USAGE_METER) meter?: PortUsageSampler,
  ) {
    this.node = config.NODE_NAME ?? ALL_NODES;
    this.tracker = new UsageTracker(config.PORT_USAGE_PEAK_WINDOW_SECONDS * 1000);
    this.meter =
      meter ?? new PortUsageMeter(config.DATAPLANE_NETNS ? { netns: config.DATAPLANE_NETNS } : {});
    this.exported = new PortUsageMetrics(metrics, this.node);
    this.names = new GatewayNameCache(dataSource);
  }

  get enabled(): boolean {
    return (
      this.config.DATAPLANE_BACKEND === 'nftables' && this.config.PORT_USAGE_INTERVAL_SECONDS > 0
    );
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.pass().finally(() => (this.running = undefined));
    }, this.config.PORT_USAGE_INTERVAL_SECONDS * 1000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One count, the metrics, and a report when one is due and something changed. Never throws. */
  async pass(now = Date.now()): Promise<void> {
    try {
      const rules = this.dataplane.reconciler.programmedRules;
      const sample = await this.meter.sample(rules);
      const names = await this.names.resolve(rules.map((r) => r.gatewayUid));
      const newlyExhausted = this.tracker.observe(now, sample.index, sample.count);
      for (const usage of newlyExhausted) this.exported.exhausted(usage, names);
      if (newlyExhausted.length > 0)
        for (const listener of this.exhaustedListeners) listener(newlyExhausted, now);
      this.exported.update(this.tracker.current(), names, sample.index.gatewayUids);
      this.exported.scanned(sample.count.entries, sample.seconds);
      if (this.lastInsertFailed !== undefined)
        this.exported.insertFailed(sample.insertFailed - this.lastInsertFailed);
      this.lastInsertFailed = sample.insertFailed;
      // The log gets at most one report per PORT_USAGE_REPORT_SECONDS, and only of what changed.
      if (now - this.lastReportAt >= this.config.PORT_USAGE_REPORT_SECONDS * 1000)
        await this.report(new Date(now), names);
      this.passes += 1;
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.logger.warn(`port usage: ${message}`);
      this.lastError = message;
    }
  }

  private async report(at: Date, names: Parameters<typeof portUsageReports>[4]): Promise<void> {
    const { reports, reported } = portUsageReports(
      this.node,
      at,
      this.config.PORT_USAGE_PEAK_WINDOW_SECONDS,
      this.tracker.changed(),
      names,
    );
    if (reports.length === 0) return;
    await this.store.append(
      dataplaneStreamId(this.node),
      reports.map((data) => ({
        type: NAT_PORT_USAGE_REPORTED,
        data,
        metadata: { source: EXECUTOR_SOURCE, correlationId: `port-usage:${this.node}` },
      })),
    );
    this.tracker.markReported(reported);
    this.lastReportAt = at.getTime();
  }
}
