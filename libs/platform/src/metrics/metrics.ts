import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Metric, Registry } from 'prom-client';
import {
  CounterDefinition,
  GaugeDefinition,
  HistogramDefinition,
  MetricDefinition,
  NATGW_METRICS,
} from './natgw-metrics';

/** How a service's metrics are set up. */
export interface MetricsOptions {
  /** Added as the `service` label to every metric this process exports. */
  service: string;
  /** Process metrics (CPU, memory, event loop lag, GC); on unless false. */
  defaultMetrics?: boolean;
}

/** Injection token of the MetricsOptions. */
export const METRICS_OPTIONS = Symbol('METRICS_OPTIONS');

/** A metric name registered twice with a different type or labels. */
export class MetricConflictError extends Error {
  constructor(
    readonly metricName: string,
    readonly rule: string,
  ) {
    super(`metric ${metricName}: ${rule}`);
    this.name = 'MetricConflictError';
  }
}

type Kind = MetricDefinition['type'];

/**
 * The process's Prometheus registry. The natgw metrics are properties
 * (`metrics.eventsAppended.inc({ event_type })`); they are registered on first
 * use, so a service exports only what it records. `counter`, `gauge` and
 * `histogram` register a service's own extra metrics.
 */
@Injectable()
export class Metrics {
  /** The registry `/metrics` serves; one per Metrics, never prom-client's global one. */
  readonly registry = new Registry();
  private readonly kinds = new Map<string, { kind: Kind; labels: string }>();

  constructor(@Inject(METRICS_OPTIONS) options: MetricsOptions) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** HTTP request latency by method, route pattern and status (recorded by the middleware). */
  get httpRequestDuration(): Histogram<'method' | 'route' | 'status'> {
    return this.histogram(NATGW_METRICS.httpRequestDuration);
  }

  /** Events appended to the log; label event_type. */
  get eventsAppended(): Counter<'event_type'> {
    return this.counter(NATGW_METRICS.eventsAppended);
  }

  /** Events the relay published to NATS; label event_type. */
  get eventsPublished(): Counter<'event_type'> {
    return this.counter(NATGW_METRICS.eventsPublished);
  }

  /** Events processed by a consumer; labels consumer, event_type. */
  get eventsConsumed(): Counter<'consumer' | 'event_type'> {
    return this.counter(NATGW_METRICS.eventsConsumed);
  }

  /** Events appended and not yet published. */
  get relayLagEvents(): Gauge {
    return this.gauge(NATGW_METRICS.relayLagEvents);
  }

  /** Age in seconds of the oldest unpublished event. */
  get relayLagSeconds(): Gauge {
    return this.gauge(NATGW_METRICS.relayLagSeconds);
  }

  /** Events a consumer has not processed yet; label consumer. */
  get consumerLagEvents(): Gauge<'consumer'> {
    return this.gauge(NATGW_METRICS.consumerLagEvents);
  }

  /** Age in seconds of the oldest event a consumer has not processed; label consumer. */
  get consumerLagSeconds(): Gauge<'consumer'> {
    return this.gauge(NATGW_METRICS.consumerLagSeconds);
  }

  /** Addresses in a pool prefix; label prefix. */
  get poolAddresses(): Gauge<'prefix'> {
    return this.gauge(NATGW_METRICS.poolAddresses);
  }

  /** Addresses of a pool prefix assigned to gateways; label prefix. */
  get poolAddressesUsed(): Gauge<'prefix'> {
    return this.gauge(NATGW_METRICS.poolAddressesUsed);
  }

  /** Addresses of a pool prefix still free; label prefix. */
  get poolAddressesFree(): Gauge<'prefix'> {
    return this.gauge(NATGW_METRICS.poolAddressesFree);
  }

  /** Slots of a gateway assigned to NICs; labels namespace, gateway. */
  get gatewaySlotsUsed(): Gauge<'namespace' | 'gateway'> {
    return this.gauge(NATGW_METRICS.gatewaySlotsUsed);
  }

  /** NICs requesting a slot of a gateway; labels namespace, gateway. */
  get gatewaySlotsRequested(): Gauge<'namespace' | 'gateway'> {
    return this.gauge(NATGW_METRICS.gatewaySlotsRequested);
  }

  /** Slots a gateway has in total; labels namespace, gateway. */
  get gatewaySlotsCapacity(): Gauge<'namespace' | 'gateway'> {
    return this.gauge(NATGW_METRICS.gatewaySlotsCapacity);
  }

  /** Gateways with more NICs requesting than slots. */
  get gatewaysShortOfCapacity(): Gauge {
    return this.gauge(NATGW_METRICS.gatewaysShortOfCapacity);
  }

  /** Dataplane differences found; label node. */
  get driftDetected(): Counter<'node'> {
    return this.counter(NATGW_METRICS.driftDetected);
  }

  /** Dataplane differences repaired; label node. */
  /** Allocation reconciles that failed (and were retried). */
  get allocationFailures(): Counter {
    return this.counter(NATGW_METRICS.allocationFailures);
  }

  get driftRepaired(): Counter<'node'> {
    return this.counter(NATGW_METRICS.driftRepaired);
  }

  /** Duration of a reconcile pass; labels node, outcome (ok|error). */
  get reconcileDuration(): Histogram<'node' | 'outcome'> {
    return this.histogram(NATGW_METRICS.reconcileDuration);
  }

  /** The counter with this name, registered now if it is new. */
  counter<L extends string>(def: Omit<CounterDefinition<L>, 'type'>): Counter<L> {
    return this.getOrRegister('counter', def, () => new Counter<L>(this.config(def)));
  }

  /** The gauge with this name, registered now if it is new. */
  gauge<L extends string>(def: Omit<GaugeDefinition<L>, 'type'>): Gauge<L> {
    return this.getOrRegister('gauge', def, () => new Gauge<L>(this.config(def)));
  }

  /** The histogram with this name, registered now if it is new. */
  histogram<L extends string>(def: Omit<HistogramDefinition<L>, 'type'>): Histogram<L> {
    return this.getOrRegister(
      'histogram',
      def,
      () => new Histogram<L>({ ...this.config(def), buckets: [...def.buckets] }),
    );
  }

  /** The Prometheus text exposition of every registered metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private config<L extends string>(def: {
    name: string;
    help: string;
    labelNames: readonly L[];
  }): { name: string; help: string; labelNames: L[]; registers: Registry[] } {
    return {
      name: def.name,
      help: def.help,
      labelNames: [...def.labelNames],
      registers: [this.registry],
    };
  }

  private getOrRegister<M extends Metric<string>>(
    kind: Kind,
    def: { name: string; labelNames: readonly string[] },
    create: () => M,
  ): M {
    const labels = [...def.labelNames].sort().join(',');
    const known = this.kinds.get(def.name);
    if (known) {
      if (known.kind !== kind) {
        throw new MetricConflictError(
          def.name,
          `already registered as a ${known.kind}, not a ${kind}`,
        );
      }
      if (known.labels !== labels) {
        throw new MetricConflictError(
          def.name,
          `already registered with labels [${known.labels}], not [${labels}]`,
        );
      }
      return this.registry.getSingleMetric(def.name) as M;
    }
    const metric = create();
    this.kinds.set(def.name, { kind, labels });
    return metric;
  }
}
