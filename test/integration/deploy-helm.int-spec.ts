// The Helm chart, rendered by the real helm binary with its default values and
// the two ci/ values files: lint, Kubernetes schema validation of every object,
// and the operational rules of issue 7 (probes, resources, security, secrets,
// high availability, alerts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { allNatgwMetricDefinitions } from '@natgw/platform';
import {
  alertRules,
  CHART,
  configValueOf,
  find,
  helm,
  idOf,
  K8sObject,
  renderChart,
  RELEASE,
  ROOT,
  schemaProblems,
  selects,
  serviceContainer,
  serviceWorkload,
  SERVICES,
  VALUES_CASES,
  unknownFieldProblems,
  Workload,
  workloads,
} from './deploy-support';

const rendered: Record<string, K8sObject[]> = Object.fromEntries(
  Object.entries(VALUES_CASES).map(([name, files]) => [name, renderChart(files)]),
);
const cases = Object.keys(VALUES_CASES);

const PORT_VARIABLE: Record<string, string> = {
  'api-gateway': 'API_PORT',
  allocator: 'ALLOCATOR_PORT',
  'dataplane-executor': 'EXECUTOR_PORT',
};

describe('helm lint', () => {
  it.each(cases)('passes --strict with the %s values', (name) => {
    const args = ['lint', '--strict', CHART];
    for (const file of VALUES_CASES[name]) args.push('-f', file);
    const out = helm(args);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('helm template: every object', () => {
  it.each(cases)('validates against the Kubernetes schemas (%s)', (name) => {
    const problems = rendered[name].flatMap((obj) =>
      schemaProblems(obj).map((p) => `${idOf(obj)}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it.each(cases)('has no field the Kubernetes types do not know (%s)', (name) => {
    expect(unknownFieldProblems(rendered[name])).toEqual([]);
  });

  it.each(cases)('has a unique kind and name and the release labels (%s)', (name) => {
    const ids = rendered[name].map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    for (const obj of rendered[name]) {
      expect(obj.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'natgw',
        'app.kubernetes.io/instance': RELEASE,
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });

  it('would catch a broken object: the validators are not vacuous', () => {
    const deployment = structuredClone(
      find<Workload>(rendered.defaults, 'Deployment', 'natgw-allocator'),
    );
    deployment.spec.template.spec.containers[0].ports = [
      { name: 'http', containerPort: 'eighty' as unknown as number },
    ];
    expect(schemaProblems(deployment).join()).toContain('containerPort must be integer');
    const rule = structuredClone(find(rendered.ha, 'PrometheusRule', 'natgw'));
    alertRules(rule)[0].labels = {};
    expect(schemaProblems(rule).join()).toContain('labels.severity');
    const typo = structuredClone(
      find<Workload>(rendered.defaults, 'Deployment', 'natgw-allocator'),
    );
    const container = typo.spec.template.spec.containers[0] as unknown as Record<string, unknown>;
    container.readinesProbe = container.readinessProbe;
    delete container.readinessProbe;
    expect(schemaProblems(typo)).toEqual([]);
    expect(unknownFieldProblems([typo]).join()).toContain(
      "'\"readinesProbe\"' does not exist in type 'IContainer'",
    );
    expect(
      schemaProblems({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 'x' } }),
    ).toEqual(['no schema for example.com/v1 Thing']);
  });

  it('rejects values the schema forbids, naming the field', () => {
    expect(() => renderChart([], ['executor.backend=iptables'])).toThrow(/executor\.backend/);
    expect(() => renderChart([], ['apiGateway.replicaCont=2'])).toThrow(/replicaCont/);
    expect(() => renderChart([], ['nats.url=http://nats:4222'])).toThrow(/nats\.url/);
    expect(() => renderChart([], ['apiGateway.resources.limits=null'])).toThrow(/limits/);
  });
});

describe.each(cases)('workloads (%s values)', (name) => {
  const objects = rendered[name];

  it('run each service from the one image, with the service name as argument', () => {
    const images = new Set<string>();
    for (const service of SERVICES) {
      const container = serviceContainer(objects, service);
      expect(container.args).toEqual([service]);
      expect(fs.existsSync(path.join(ROOT, 'apps', service, 'src', 'main.ts'))).toBe(true);
      images.add(container.image);
    }
    expect(images.size).toBe(1);
  });

  it('give every container resource requests and limits', () => {
    for (const w of workloads(objects)) {
      for (const c of [
        ...w.spec.template.spec.containers,
        ...(w.spec.template.spec.initContainers ?? []),
      ]) {
        for (const kind of ['requests', 'limits'] as const) {
          expect({
            [`${idOf(w)}/${c.name}`]: Object.keys(c.resources?.[kind] ?? {}).sort(),
          }).toEqual({
            [`${idOf(w)}/${c.name}`]: ['cpu', 'memory'],
          });
        }
      }
    }
  });

  it("probe /healthz and /readyz on the port the service's config says", () => {
    for (const service of SERVICES) {
      const container = serviceContainer(objects, service);
      const port = Number(configValueOf(container, objects, PORT_VARIABLE[service]));
      const http = container.ports?.find((p) => p.name === 'http');
      expect({ service, port: http?.containerPort }).toEqual({ service, port });
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    }
  });

  it('bind the api-gateway and allocator on every address, the executor on the pod IP', () => {
    const api = serviceContainer(objects, 'api-gateway');
    expect(configValueOf(api, objects, 'API_HOST')).toBe('0.0.0.0');
    expect(configValueOf(serviceContainer(objects, 'allocator'), objects, 'ALLOCATOR_HOST')).toBe(
      '0.0.0.0',
    );
    const executorHost = serviceContainer(objects, 'dataplane-executor').env?.find(
      (e) => e.name === 'EXECUTOR_HOST',
    );
    expect(executorHost?.valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
  });

  it('mount the API tokens file where AUTH_TOKENS_FILE points (the API refuses 0.0.0.0 without it)', () => {
    const workload = serviceWorkload(objects, 'api-gateway');
    const container = serviceContainer(objects, 'api-gateway');
    const file = configValueOf(container, objects, 'AUTH_TOKENS_FILE');
    expect(file).toMatch(/^\/etc\/natgw\/auth\/.+/);
    const mount = container.volumeMounts?.find((m) => file!.startsWith(`${m.mountPath}/`));
    expect(mount?.readOnly).toBe(true);
    const volume = workload.spec.template.spec.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.secret?.items).toEqual([
      { key: path.basename(file!), path: path.basename(file!) },
    ]);
  });

  it('run the api-gateway and allocator as non-root, read-only, without capabilities', () => {
    for (const service of ['api-gateway', 'allocator']) {
      const pod = serviceWorkload(objects, service).spec.template.spec;
      const sc = serviceContainer(objects, service).securityContext;
      expect(pod.hostNetwork ?? false).toBe(false);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(sc).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(sc?.capabilities?.add ?? []).toEqual([]);
    }
  });

  it('run the executor as a DaemonSet on the host network with NET_ADMIN only, not privileged', () => {
    const workload = serviceWorkload(objects, 'dataplane-executor');
    const pod = workload.spec.template.spec;
    const container = serviceContainer(objects, 'dataplane-executor');
    expect(workload.kind).toBe('DaemonSet');
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(container.securityContext).toMatchObject({
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
    });
    const nodeName = container.env?.find((e) => e.name === 'NODE_NAME');
    expect(nodeName?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(configValueOf(container, objects, 'DATAPLANE_BACKEND')).toBe('nftables');
  });

  it('refer only to ConfigMaps, Secrets and ServiceAccounts that are rendered or given as existing', () => {
    const values = VALUES_CASES[name].map((f) =>
      JSON.stringify(parseYaml(fs.readFileSync(f, 'utf8'))),
    );
    const existing = (secret: string): boolean => values.some((v) => v.includes(`"${secret}"`));
    const has = (kind: string, n: string): boolean =>
      objects.some((o) => o.kind === kind && o.metadata.name === n);
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      expect(has('ServiceAccount', pod.serviceAccountName ?? '')).toBe(true);
      for (const c of pod.containers) {
        for (const e of c.envFrom ?? []) {
          if (e.configMapRef) expect(has('ConfigMap', e.configMapRef.name)).toBe(true);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref)
            expect({ [e.name]: has('Secret', ref.name) || existing(ref.name) }).toEqual({
              [e.name]: true,
            });
        }
      }
      for (const v of pod.volumes ?? []) {
        if (v.secret)
          expect({
            [v.name]: has('Secret', v.secret.secretName) || existing(v.secret.secretName),
          }).toEqual({ [v.name]: true });
      }
    }
  });

  it('select existing pods from every Service, PodDisruptionBudget, NetworkPolicy and HPA', () => {
    const podLabels = workloads(objects).map((w) => w.spec.template.metadata.labels);
    const selecting = objects.filter((o) =>
      ['Service', 'PodDisruptionBudget', 'NetworkPolicy'].includes(o.kind),
    );
    expect(selecting.length).toBeGreaterThanOrEqual(3 + 3);
    for (const obj of selecting) {
      const spec = obj.spec as {
        selector?: Record<string, string> & { matchLabels?: Record<string, string> };
        podSelector?: { matchLabels?: Record<string, string> };
      };
      const selector =
        obj.kind === 'Service'
          ? spec.selector
          : obj.kind === 'NetworkPolicy'
            ? spec.podSelector?.matchLabels
            : spec.selector?.matchLabels;
      expect({ [idOf(obj)]: podLabels.some((l) => selects(selector, l)) }).toEqual({
        [idOf(obj)]: true,
      });
    }
    for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
      const target = (hpa.spec as { scaleTargetRef: { kind: string; name: string } })
        .scaleTargetRef;
      expect(find(objects, target.kind, target.name)).toBeDefined();
    }
  });
});

describe('default values', () => {
  const objects = rendered.defaults;

  it('create the database, NATS and API token Secrets', () => {
    const db = find(objects, 'Secret', 'natgw-database');
    expect((db.stringData as Record<string, string>).DATABASE_URL).toMatch(/^postgres:\/\//);
    const tokens = find(objects, 'Secret', 'natgw-api-tokens');
    const file = Buffer.from(
      (tokens.data as Record<string, string>)['tokens.yaml'],
      'base64',
    ).toString();
    const parsed = parseYaml(file) as { tokens: { token: string; verbs: string[] }[] };
    expect(parsed.tokens[0].token).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(parsed.tokens[0].verbs).toEqual(['read', 'write']);
    expect(find(objects, 'Secret', 'natgw-nats')).toBeDefined();
  });

  it('leave the optional extras (HPA, ServiceMonitor, PrometheusRule) out', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['HorizontalPodAutoscaler', 'ServiceMonitor', 'PrometheusRule']) {
      expect(kinds.has(kind)).toBe(false);
    }
  });

  it('put the NATS credentials in the chart Secret when given as values', () => {
    const withAuth = renderChart([], ['nats.auth.user=natgw', 'nats.auth.password=s3cret']);
    const secret = find(withAuth, 'Secret', 'natgw-nats');
    expect(secret.stringData).toEqual({ user: 'natgw', password: 's3cret' });
    const env = serviceContainer(withAuth, 'allocator').env ?? [];
    expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
      name: 'natgw-nats',
      key: 'password',
      optional: true,
    });
  });
});

describe('external-secrets values', () => {
  const objects = rendered['external-secrets'];

  it('create no Secret and read every credential from the existing ones', () => {
    expect(objects.filter((o) => o.kind === 'Secret').map(idOf)).toEqual([]);
    for (const service of SERVICES) {
      const container = serviceContainer(objects, service);
      const ref = (n: string) => container.env?.find((e) => e.name === n)?.valueFrom?.secretKeyRef;
      expect(ref('DATABASE_URL')).toEqual({ name: 'natgw-pg-app', key: 'uri' });
      expect(ref('NATS_USER')).toEqual({
        name: 'natgw-nats-auth',
        key: 'username',
        optional: true,
      });
      expect(ref('NATS_PASSWORD')).toEqual({
        name: 'natgw-nats-auth',
        key: 'password',
        optional: true,
      });
      expect(configValueOf(container, objects, 'NATS_CREDS_FILE')).toBe(
        '/etc/natgw/nats/natgw.creds',
      );
      const pod = serviceWorkload(objects, service).spec.template.spec;
      expect(pod.volumes?.find((v) => v.name === 'nats-creds')?.secret?.secretName).toBe(
        'natgw-nats-creds',
      );
      expect(container.volumeMounts).toContainEqual({
        name: 'nats-creds',
        mountPath: '/etc/natgw/nats',
        readOnly: true,
      });
    }
    const api = serviceWorkload(objects, 'api-gateway').spec.template.spec;
    expect(api.volumes?.find((v) => v.name === 'api-tokens')?.secret?.secretName).toBe(
      'natgw-api-tokens',
    );
  });

  it('pin the image by digest', () => {
    expect(serviceContainer(objects, 'allocator').image).toMatch(
      /^registry\.example\.com\/natgw\/natgw@sha256:[0-9a-f]{64}$/,
    );
  });
});

describe('high-availability values', () => {
  const objects = rendered.ha;

  it('autoscale the api-gateway from at least 2 replicas and run at least 2 allocators', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'natgw-api-gateway');
    const spec = hpa.spec as { minReplicas: number; maxReplicas: number };
    expect(spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
    // The HPA owns the replica count; a fixed one would fight it on every upgrade.
    expect(
      find<Workload>(objects, 'Deployment', 'natgw-api-gateway').spec.replicas,
    ).toBeUndefined();
    expect(
      find<Workload>(objects, 'Deployment', 'natgw-allocator').spec.replicas,
    ).toBeGreaterThanOrEqual(2);
  });

  it('keep a quorum through voluntary disruptions', () => {
    for (const n of ['natgw-api-gateway', 'natgw-allocator']) {
      const spec = find(objects, 'PodDisruptionBudget', n).spec as Record<string, unknown>;
      expect(spec.minAvailable).toBe(2);
      expect(spec.maxUnavailable).toBeUndefined();
    }
  });

  it('scrape /metrics of every service', () => {
    const monitor = find(objects, 'ServiceMonitor', 'natgw');
    const spec = monitor.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services).toHaveLength(3);
    for (const svc of services) {
      expect(selects(spec.selector.matchLabels, svc.metadata.labels)).toBe(true);
      const ports = (svc.spec as { ports: { name: string }[] }).ports;
      expect(ports.map((p) => p.name)).toContain('http');
    }
  });
});

describe('PrometheusRule', () => {
  const rule = find(rendered.ha, 'PrometheusRule', 'natgw');
  const alerts = alertRules(rule);
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');

  it('alerts on pool exhaustion, short capacity, relay and consumer lag and repeated drift', () => {
    const metricsOf = (alert: string): string =>
      alerts.find((a) => a.alert === alert)?.expr ?? `(no alert ${alert})`;
    expect(metricsOf('NatgwPublicPoolExhausted')).toContain('natgw_pool_addresses_free');
    expect(metricsOf('NatgwGatewaysShortOfCapacity')).toContain('natgw_gateways_short_of_capacity');
    expect(metricsOf('NatgwRelayLagging')).toContain('natgw_relay_lag_seconds');
    expect(metricsOf('NatgwConsumerLagging')).toContain('natgw_consumer_lag_seconds');
    expect(metricsOf('NatgwRepeatedDrift')).toContain('natgw_drift_detected_total');
  });

  it('uses only metrics natgw defines', () => {
    const defined = new Set<string>();
    for (const def of allNatgwMetricDefinitions()) {
      defined.add(def.name);
      if (def.type === 'histogram') {
        for (const suffix of ['_bucket', '_sum', '_count']) defined.add(def.name + suffix);
      }
    }
    for (const alert of alerts) {
      const used = alert.expr.match(/\bnatgw_[a-z_]+/g) ?? [];
      expect(used.length).toBeGreaterThan(0);
      expect({ [alert.alert]: used.filter((m) => !defined.has(m)) }).toEqual({ [alert.alert]: [] });
    }
  });

  it('links every alert to its runbook in docs/operations.md', () => {
    for (const alert of alerts) {
      expect(alert.annotations?.runbook_url).toBe(
        `docs/operations.md#${alert.alert.toLowerCase()}`,
      );
      expect(docs).toMatch(new RegExp(`^#+ ${alert.alert}$`, 'm'));
    }
  });

  it('takes its thresholds from values', () => {
    const custom = renderChart(
      [],
      ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.relayLagSeconds=300'],
    );
    const relay = alertRules(find(custom, 'PrometheusRule', 'natgw')).find(
      (a) => a.alert === 'NatgwRelayLagging',
    );
    expect(relay?.expr).toBe('max(natgw_relay_lag_seconds) > 300');
  });
});

describe('docs/operations.md', () => {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');

  it('explains every natgw metric in its metrics table', () => {
    for (const def of allNatgwMetricDefinitions()) {
      expect({
        [def.name]: new RegExp(`^\\| \`${def.name}\` \\| ${def.type} \\|`, 'm').test(docs),
      }).toEqual({
        [def.name]: true,
      });
    }
  });
});

describe('NOTES.txt', () => {
  // helm template does not print NOTES.txt: render it through a copy of the
  // chart with one extra template that includes it.
  function renderNotes(valuesFiles: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-notes-'));
    try {
      fs.cpSync(CHART, path.join(dir, 'natgw'), { recursive: true });
      const notes = fs.readFileSync(path.join(CHART, 'templates', 'NOTES.txt'), 'utf8');
      fs.writeFileSync(
        path.join(dir, 'natgw', 'templates', 'notes-as-configmap.yaml'),
        `{{- define "test.notes" -}}\n${notes}\n{{- end -}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | quote }}\n`,
      );
      const args = ['template', RELEASE, path.join(dir, 'natgw'), '-n', 'natgw'];
      for (const f of valuesFiles) args.push('-f', f);
      args.push('--show-only', 'templates/notes-as-configmap.yaml');
      const cm = parseYaml(helm(args)) as { data: { notes: string } };
      return cm.data.notes;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('says how to reach the API and where its token is', () => {
    const notes = renderNotes([]);
    expect(notes).toContain('kubectl port-forward -n natgw svc/natgw-api-gateway 8080:80');
    expect(notes).toContain(
      "kubectl get secret -n natgw natgw-api-tokens -o jsonpath='{.data.tokens\\.yaml}'",
    );
    expect(notes).toContain('/apis/networking.ironcore.dev/v1alpha1/natgateways');
  });

  it('names the existing tokens Secret when one is given', () => {
    const notes = renderNotes(VALUES_CASES['external-secrets']);
    expect(notes).toContain('Secret natgw-api-tokens, key tokens.yaml');
    expect(notes).not.toContain('the chart generated one admin token');
  });
});
