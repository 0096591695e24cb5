// The Grafana dashboard and the alert rules query only metrics a running natgw exports:
// every expression of deploy/helm/natgw/dashboards/natgw.json and of the chart's
// PrometheusRule, against the /metrics of real api-gateway, allocator and executor
// processes that served a gateway to Ready. And the chart ships the dashboard.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { eventually } from '@natgw/testing';
import { alertRules, CHART, K8sObject, renderChart } from '../integration/deploy-support';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(180_000);

const DASHBOARD_FILE = path.join(CHART, 'dashboards', 'natgw.json');

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Panel[] };

/** The metric names a PromQL expression reads (natgw's and the process metrics). */
function metricsIn(expr: string): string[] {
  return [...new Set(expr.match(/\b(?:natgw|process|nodejs)_[a-z0-9_]+\b/g) ?? [])];
}

/** The metric names a /metrics page declares (# TYPE lines), with histogram series names. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}

const dashboardExprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr })),
);

function chartObjects(sets: string[]): K8sObject[] {
  return renderChart([], sets);
}

describe('the Grafana dashboard in the chart', () => {
  it('covers utilisation, waiting NICs, allocation failures, drift, consumer lag and API latency', () => {
    const all = dashboardExprs.map((e) => e.expr).join('\n');
    for (const metric of [
      'natgw_gateway_slots_used',
      'natgw_gateway_slots_capacity',
      'natgw_pool_addresses_used',
      'natgw_gateway_slots_requested',
      'natgw_allocation_failures_total',
      'natgw_drift_detected_total',
      'natgw_drift_repaired_total',
      'natgw_consumer_lag_seconds',
      'natgw_http_request_duration_seconds_bucket',
      'natgw_nat_port_usage_max_ratio',
      'natgw_ports_exhausted_total',
    ]) {
      expect(all).toContain(metric);
    }
  });

  it('is a ConfigMap for the Grafana sidecar when metrics.grafanaDashboard.enabled, and absent otherwise', () => {
    const isDashboard = (o: K8sObject) =>
      o.kind === 'ConfigMap' && (o.metadata.labels ?? {}).grafana_dashboard === '1';
    expect(chartObjects([]).filter(isDashboard)).toEqual([]);
    const [cm, ...more] = chartObjects([
      'metrics.grafanaDashboard.enabled=true',
      'metrics.grafanaDashboard.annotations.grafana_folder=natgw',
    ]).filter(isDashboard);
    expect(more).toEqual([]);
    expect(cm.metadata.name).toBe('natgw-dashboard');
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'natgw' });
    const data = (cm as K8sObject & { data: Record<string, string> }).data;
    expect(JSON.parse(data['natgw.json'])).toEqual(dashboard);
  });
});

describe('every metric the dashboard and the alerts query is exported by a running natgw', () => {
  let system: NatgwSystem;

  beforeAll(async () => {
    system = await NatgwSystem.create('dashboard_metrics', {
      PUBLIC_PREFIXES: '198.51.100.0/30',
    });
    await system.start('api-gateway');
    await system.start('allocator');
    await system.start('dataplane-executor');
  });

  afterAll(async () => {
    await system?.destroy();
  });

  it('finds each queried metric on the /metrics of the api-gateway, allocator or executor', async () => {
    const api = await system.api('dash');
    for (const [plural, body] of [
      ['networks', manifests.network('net')],
      ['natgateways', manifests.gateway('gw', 'net', 64)],
      ['networkinterfaces', manifests.nic('vm-1', 'net', ['10.0.0.1'])],
    ] as const) {
      const res = await http('POST', `${api}/${plural}`, body);
      expect(res.status).toBe(201);
    }
    await eventually(
      async () => {
        const gw = (await http('GET', `${api}/natgateways/gw`)).body as {
          status?: { conditions?: Array<{ type: string; status: string }> };
        };
        return gw.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      { what: 'the gateway Ready', timeoutMs: 60_000 },
    );

    const alerts = chartObjects(['metrics.prometheusRule.enabled=true'])
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap(alertRules)
      .map((a) => ({ where: `alert ${a.alert}`, expr: a.expr }));
    expect(alerts.length).toBeGreaterThan(0);
    const queries = [...dashboardExprs, ...alerts];

    /** `where: metric` for every queried metric no service declares. */
    const absent = async (): Promise<string[]> => {
      const pages = await Promise.all(
        system.services.map(async (s) => (await fetch(`${await s.url}/metrics`)).text()),
      );
      const names = new Set(pages.flatMap((p) => [...exported(p)]));
      return queries.flatMap(({ where, expr }) =>
        metricsIn(expr)
          .filter((m) => !names.has(m))
          .map((m) => `${where}: ${m}`),
      );
    };
    // Lag is measured every 10 s: wait for the first measurement rather than assume it.
    await eventually(async () => (await absent()).length === 0, {
      what: 'every queried metric exported',
      timeoutMs: 40_000,
      intervalMs: 1_000,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}; not exported: ${(await absent()).join(', ')}`);
    });
    expect(queries.flatMap((q) => metricsIn(q.expr)).length).toBeGreaterThan(20);
  });
});
