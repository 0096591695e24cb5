import { MetricConflictError, Metrics } from './metrics';
import { allNatgwMetricDefinitions, NATGW_METRICS } from './natgw-metrics';

function newMetrics(): Metrics {
  return new Metrics({ service: 'test-service', defaultMetrics: false });
}

/** The value of the sample with exactly these labels in a text exposition, if present. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (
      JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())
    ) {
      return Number(m[3]);
    }
  }
  return undefined;
}

describe('Metrics', () => {
  it('registers a natgw metric on first use and exports it with the service label', async () => {
    const metrics = newMetrics();
    expect(await metrics.render()).not.toContain('natgw_events_appended_total');

    metrics.eventsAppended.inc({ event_type: 'NATGatewayCreated' }, 3);

    const text = await metrics.render();
    expect(text).toContain(
      `# HELP natgw_events_appended_total ${NATGW_METRICS.eventsAppended.help}`,
    );
    expect(text).toContain('# TYPE natgw_events_appended_total counter');
    expect(
      sample(text, 'natgw_events_appended_total', {
        event_type: 'NATGatewayCreated',
        service: 'test-service',
      }),
    ).toBe(3);
  });

  it('returns the same metric object every time', () => {
    const metrics = newMetrics();
    metrics.poolAddressesFree.set({ prefix: '203.0.113.0/24' }, 200);
    metrics.poolAddressesFree.dec({ prefix: '203.0.113.0/24' });
    expect(metrics.poolAddressesFree).toBe(metrics.poolAddressesFree);
  });

  it('records gauges and histograms with their labels', async () => {
    const metrics = newMetrics();
    metrics.gatewaySlotsRequested.set({ namespace: 'default', gateway: 'natgw-a' }, 40);
    metrics.gatewaysShortOfCapacity.set(2);
    metrics.reconcileDuration.observe({ node: 'node-1', outcome: 'ok' }, 0.2);

    const text = await metrics.render();
    const service = 'test-service';
    expect(
      sample(text, 'natgw_gateway_slots_requested', {
        namespace: 'default',
        gateway: 'natgw-a',
        service,
      }),
    ).toBe(40);
    expect(sample(text, 'natgw_gateways_short_of_capacity', { service })).toBe(2);
    const bucket = (le: string): number | undefined =>
      sample(text, 'natgw_reconcile_duration_seconds_bucket', {
        le,
        node: 'node-1',
        outcome: 'ok',
        service,
      });
    expect(bucket('0.1')).toBe(0);
    expect(bucket('0.25')).toBe(1);
  });

  it("registers a service's own metrics and refuses a name reused with another type or labels", async () => {
    const metrics = newMetrics();
    const own = { name: 'natgw_test_things_total', help: 'Things.', labelNames: ['kind'] as const };
    metrics.counter(own).inc({ kind: 'a' });
    metrics.counter(own).inc({ kind: 'a' });
    expect(
      sample(await metrics.render(), 'natgw_test_things_total', {
        kind: 'a',
        service: 'test-service',
      }),
    ).toBe(2);

    expect(() => metrics.gauge(own)).toThrow(MetricConflictError);
    expect(() => metrics.counter({ ...own, labelNames: ['other'] })).toThrow(
      'metric natgw_test_things_total: already registered with labels [kind], not [other]',
    );
  });

  it('keeps registries of two instances apart', async () => {
    const a = newMetrics();
    const b = newMetrics();
    a.driftDetected.inc({ node: 'n1' });
    expect(await b.render()).not.toContain('natgw_drift_detected_total');
  });

  it('collects process metrics unless turned off', async () => {
    const withDefaults = new Metrics({ service: 's' });
    expect(await withDefaults.render()).toContain('process_cpu_user_seconds_total');
    expect(await newMetrics().render()).not.toContain('process_cpu_user_seconds_total');
  });

  it('defines every natgw metric under a unique natgw_ name, counters ending in _total', () => {
    const defs = allNatgwMetricDefinitions();
    const names = defs.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const def of defs) {
      expect(def.name).toMatch(/^natgw_[a-z_]+$/);
      expect(def.name.endsWith('_total')).toBe(def.type === 'counter');
      expect(def.help.length).toBeGreaterThan(10);
    }
  });
});
