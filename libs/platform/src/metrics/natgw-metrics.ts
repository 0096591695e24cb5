/**
 * Every metric natgw exports, in one place: names, help texts and label names.
 * The PrometheusRule in deploy/helm/natgw and docs/operations.md refer to these
 * names, and a test checks that they stay in step.
 */

/** What a counter is: its name, help text and label names. */
export interface CounterDefinition<L extends string> {
  readonly type: 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

/** What a gauge is: its name, help text and label names. */
export interface GaugeDefinition<L extends string> {
  readonly type: 'gauge';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
}

/** What a histogram is: its name, help text, label names and bucket bounds. */
export interface HistogramDefinition<L extends string> {
  readonly type: 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
}

/** Any metric definition. */
export type MetricDefinition =
  CounterDefinition<string> | GaugeDefinition<string> | HistogramDefinition<string>;

/** Seconds, from a fast in-memory request to a slow one waiting on PostgreSQL. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** Seconds, from a no-op reconcile to a full rebuild of a busy node's ruleset. */
const RECONCILE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

/** The natgw metrics; services reach them through `Metrics` (e.g. `metrics.eventsAppended`). */
export const NATGW_METRICS = {
  httpRequestDuration: {
    type: 'histogram',
    name: 'natgw_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  } satisfies HistogramDefinition<'method' | 'route' | 'status'>,

  eventsAppended: {
    type: 'counter',
    name: 'natgw_events_appended_total',
    help: 'Events appended to the PostgreSQL event log by this process, by event type.',
    labelNames: ['event_type'],
  } satisfies CounterDefinition<'event_type'>,

  eventsPublished: {
    type: 'counter',
    name: 'natgw_events_published_total',
    help: 'Events the outbox relay published to NATS JetStream, by event type.',
    labelNames: ['event_type'],
  } satisfies CounterDefinition<'event_type'>,

  eventsConsumed: {
    type: 'counter',
    name: 'natgw_events_consumed_total',
    help: 'Events a consumer processed from NATS JetStream, by consumer and event type.',
    labelNames: ['consumer', 'event_type'],
  } satisfies CounterDefinition<'consumer' | 'event_type'>,

  relayLagEvents: {
    type: 'gauge',
    name: 'natgw_relay_lag_events',
    help: 'Events appended to the log and not yet published to NATS.',
    labelNames: [],
  } satisfies GaugeDefinition<never>,

  relayLagSeconds: {
    type: 'gauge',
    name: 'natgw_relay_lag_seconds',
    help: 'Age in seconds of the oldest event not yet published to NATS (0 when caught up).',
    labelNames: [],
  } satisfies GaugeDefinition<never>,

  consumerLagEvents: {
    type: 'gauge',
    name: 'natgw_consumer_lag_events',
    help: 'Events in the stream that the consumer has not processed yet.',
    labelNames: ['consumer'],
  } satisfies GaugeDefinition<'consumer'>,

  consumerLagSeconds: {
    type: 'gauge',
    name: 'natgw_consumer_lag_seconds',
    help: 'Age in seconds of the oldest event the consumer has not processed yet (0 when caught up).',
    labelNames: ['consumer'],
  } satisfies GaugeDefinition<'consumer'>,

  poolAddresses: {
    type: 'gauge',
    name: 'natgw_pool_addresses',
    help: 'Public addresses in the pool prefix.',
    labelNames: ['prefix'],
  } satisfies GaugeDefinition<'prefix'>,

  poolAddressesUsed: {
    type: 'gauge',
    name: 'natgw_pool_addresses_used',
    help: 'Public addresses of the pool prefix assigned to NAT gateways.',
    labelNames: ['prefix'],
  } satisfies GaugeDefinition<'prefix'>,

  poolAddressesFree: {
    type: 'gauge',
    name: 'natgw_pool_addresses_free',
    help: 'Public addresses of the pool prefix still free to assign.',
    labelNames: ['prefix'],
  } satisfies GaugeDefinition<'prefix'>,

  gatewaySlotsUsed: {
    type: 'gauge',
    name: 'natgw_gateway_slots_used',
    help: 'Port slots of the NAT gateway assigned to network interfaces.',
    labelNames: ['namespace', 'gateway'],
  } satisfies GaugeDefinition<'namespace' | 'gateway'>,

  gatewaySlotsRequested: {
    type: 'gauge',
    name: 'natgw_gateway_slots_requested',
    help: 'Network interfaces eligible for NAT through the gateway (one slot each).',
    labelNames: ['namespace', 'gateway'],
  } satisfies GaugeDefinition<'namespace' | 'gateway'>,

  gatewaySlotsCapacity: {
    type: 'gauge',
    name: 'natgw_gateway_slots_capacity',
    help: 'Port slots the NAT gateway has: its public IPs times the slots per IP.',
    labelNames: ['namespace', 'gateway'],
  } satisfies GaugeDefinition<'namespace' | 'gateway'>,

  gatewaysShortOfCapacity: {
    type: 'gauge',
    name: 'natgw_gateways_short_of_capacity',
    help: 'NAT gateways with more network interfaces requesting a slot than they have slots.',
    labelNames: [],
  } satisfies GaugeDefinition<never>,

  allocationFailures: {
    type: 'counter',
    name: 'natgw_allocation_failures_total',
    help: 'Allocation reconciles of a network that failed with an error and were retried with backoff.',
    labelNames: [],
  } satisfies CounterDefinition<never>,

  driftDetected: {
    type: 'counter',
    name: 'natgw_drift_detected_total',
    help: 'Differences found between the desired and the actual dataplane state of the node.',
    labelNames: ['node'],
  } satisfies CounterDefinition<'node'>,

  driftRepaired: {
    type: 'counter',
    name: 'natgw_drift_repaired_total',
    help: 'Dataplane differences the executor repaired on the node.',
    labelNames: ['node'],
  } satisfies CounterDefinition<'node'>,

  reconcileDuration: {
    type: 'histogram',
    name: 'natgw_reconcile_duration_seconds',
    help: 'Duration in seconds of one dataplane reconcile pass, by node and outcome (ok or error).',
    labelNames: ['node', 'outcome'],
    buckets: RECONCILE_BUCKETS,
  } satisfies HistogramDefinition<'node' | 'outcome'>,

  // --- port usage (issue 17.3), measured by the dataplane-executor from conntrack ---
  natConnections: {
    type: 'gauge',
    name: 'natgw_nat_connections',
    help: "Conntrack entries translated into the gateway's NIC slots on the node (AWS ActiveConnectionCount).",
    labelNames: ['node', 'namespace', 'gateway'],
  } satisfies GaugeDefinition<'node' | 'namespace' | 'gateway'>,

  natPortUsageMaxRatio: {
    type: 'gauge',
    name: 'natgw_nat_port_usage_max_ratio',
    help: "The highest inUse / slot size among the gateway's NIC slots on the node (0..1).",
    labelNames: ['node', 'namespace', 'gateway'],
  } satisfies GaugeDefinition<'node' | 'namespace' | 'gateway'>,

  natSlotsNearExhaustion: {
    type: 'gauge',
    name: 'natgw_nat_slots_near_exhaustion',
    help: "The gateway's NIC slots on the node with a recent peak of at least 80% of their ports.",
    labelNames: ['node', 'namespace', 'gateway'],
  } satisfies GaugeDefinition<'node' | 'namespace' | 'gateway'>,

  natSlotsExhausted: {
    type: 'gauge',
    name: 'natgw_nat_slots_exhausted',
    help: "The gateway's NIC slots on the node whose ports toward one destination are all in use.",
    labelNames: ['node', 'namespace', 'gateway'],
  } satisfies GaugeDefinition<'node' | 'namespace' | 'gateway'>,

  natSlotPortsInUse: {
    type: 'gauge',
    name: 'natgw_nat_slot_ports_in_use',
    help: 'Ports of one NIC slot in use toward its busiest destination; only for slots near exhaustion.',
    labelNames: ['namespace', 'gateway', 'network_interface', 'public_ip'],
  } satisfies GaugeDefinition<'namespace' | 'gateway' | 'network_interface' | 'public_ip'>,

  natSlotPorts: {
    type: 'gauge',
    name: 'natgw_nat_slot_ports',
    help: 'Ports of one NIC slot (endPort - port + 1); only for slots near exhaustion.',
    labelNames: ['namespace', 'gateway', 'network_interface', 'public_ip'],
  } satisfies GaugeDefinition<'namespace' | 'gateway' | 'network_interface' | 'public_ip'>,

  natSlotPortsPeak: {
    type: 'gauge',
    name: 'natgw_nat_slot_ports_peak',
    help: 'Recent peak of natgw_nat_slot_ports_in_use; only for slots near exhaustion.',
    labelNames: ['namespace', 'gateway', 'network_interface', 'public_ip'],
  } satisfies GaugeDefinition<'namespace' | 'gateway' | 'network_interface' | 'public_ip'>,

  portsExhausted: {
    type: 'counter',
    name: 'natgw_ports_exhausted_total',
    help: 'Times a NIC slot of the gateway was found exhausted after it was not (AWS ErrorPortAllocation).',
    labelNames: ['namespace', 'gateway'],
  } satisfies CounterDefinition<'namespace' | 'gateway'>,

  conntrackInsertFailed: {
    type: 'counter',
    name: 'natgw_conntrack_insert_failed_total',
    help: "New connections the node's kernel dropped because their conntrack entry could not be inserted (e.g. SNAT found no free port).",
    labelNames: ['node'],
  } satisfies CounterDefinition<'node'>,

  portUsageScanSeconds: {
    type: 'histogram',
    name: 'natgw_port_usage_scan_seconds',
    help: 'Duration in seconds of one count of the node conntrack table against its NIC slots.',
    labelNames: ['node'],
    buckets: RECONCILE_BUCKETS,
  } satisfies HistogramDefinition<'node'>,

  portUsageScanEntries: {
    type: 'gauge',
    name: 'natgw_port_usage_scan_entries',
    help: 'Conntrack entries the last count of the node read.',
    labelNames: ['node'],
  } satisfies GaugeDefinition<'node'>,
  // --- end port usage ---

  // --- translation logs (issue 17.5, tlog) ---
  translationLogsPublished: {
    type: 'counter',
    name: 'natgw_translation_logs_published_total',
    help: 'Translation records published as CloudEvents on the translation-log subject.',
    labelNames: ['namespace', 'gateway'],
  } satisfies CounterDefinition<'namespace' | 'gateway'>,

  translationLogsDropped: {
    type: 'counter',
    name: 'natgw_translation_logs_dropped_total',
    help: 'Translation records not published: reason rate_limit (TRANSLATION_LOG_RATE_PER_SECOND per gateway) or publish_failed.',
    labelNames: ['namespace', 'gateway', 'reason'],
  } satisfies CounterDefinition<'namespace' | 'gateway' | 'reason'>,
  // --- end translation logs ---
} as const;

/** Every natgw metric definition, for documentation and consistency checks. */
export function allNatgwMetricDefinitions(): MetricDefinition[] {
  return Object.values(NATGW_METRICS) as MetricDefinition[];
}
