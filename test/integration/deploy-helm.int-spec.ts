// The Helm chart, rendered by the real helm binary with its default values and
// the two ci/ values files: lint, Kubernetes schema validation of every object,
// and the operational rules of issue 7 (probes, resources, security, secrets,
// high availability, alerts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { allNatgwMetricDefinitions } from '@natgw/platform';
import { loadInboundGrantsFile } from '../../apps/api-gateway/src/inbound/inbound-grants';
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
      const scheme =
        service === 'api-gateway' && configValueOf(container, objects, 'API_TLS_CERT_FILE')
          ? 'HTTPS'
          : 'HTTP';
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http', scheme });
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http', scheme });
      expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http', scheme });
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
    // Secrets the operator or cert-manager make: the API tokens without
    // apiGateway.auth.tokensFile (NOTES.txt says how), the API certificate.
    const madeOutside = objects
      .filter((o) => o.kind === 'Certificate')
      .map((o) => (o.spec as { secretName: string }).secretName);
    if (!objects.some((o) => o.kind === 'Secret' && o.metadata.name === 'natgw-api-tokens')) {
      madeOutside.push('natgw-api-tokens');
    }
    const existing = (secret: string): boolean =>
      madeOutside.includes(secret) || values.some((v) => v.includes(`"${secret}"`));
    const has = (kind: string, n: string): boolean =>
      objects.some((o) => o.kind === kind && o.metadata.name === n);
    for (const w of workloads(objects)) {
      const pod = w.spec.template.spec;
      // A hook Job runs before the release's ServiceAccounts exist: the namespace's default.
      const hook = Boolean(w.metadata.annotations?.['helm.sh/hook']);
      expect(hook || has('ServiceAccount', pod.serviceAccountName ?? '')).toBe(true);
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

  it('create the database and NATS Secrets, and no API token (the operator creates it once)', () => {
    const db = find(objects, 'Secret', 'natgw-database');
    expect((db.stringData as Record<string, string>).DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(objects.filter((o) => o.metadata.name === 'natgw-api-tokens')).toEqual([]);
    expect(find(objects, 'Secret', 'natgw-nats')).toBeDefined();
    const withTokens = renderChart([], ['apiGateway.auth.tokensFile=tokens: []']);
    const tokens = find(withTokens, 'Secret', 'natgw-api-tokens');
    expect(
      Buffer.from((tokens.data as Record<string, string>)['tokens.yaml'], 'base64').toString(),
    ).toBe('tokens: []');
  });

  it('leave the optional extras (HPA, ServiceMonitor, PrometheusRule) out', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const kind of ['HorizontalPodAutoscaler', 'ServiceMonitor', 'PrometheusRule']) {
      expect(kinds.has(kind)).toBe(false);
    }
  });

  it("put each service's NATS credentials in the chart Secret, under its own keys", () => {
    const withAuth = renderChart(
      [],
      [
        'nats.auth.users.allocator.password=alloc-s3cret',
        'nats.auth.users.api-gateway.password=api-s3cret',
      ],
    );
    const secret = find(withAuth, 'Secret', 'natgw-nats');
    expect(secret.stringData).toEqual({
      'allocator-user': 'allocator',
      'allocator-password': 'alloc-s3cret',
      'api-gateway-user': 'api-gateway',
      'api-gateway-password': 'api-s3cret',
      'dataplane-executor-user': 'dataplane-executor',
    });
    for (const service of SERVICES) {
      const env = serviceContainer(withAuth, service).env ?? [];
      expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({
        name: 'natgw-nats',
        key: `${service}-password`,
        optional: true,
      });
    }
  });

  it('share one NATS user with perService=false', () => {
    const shared = renderChart(
      [],
      ['nats.auth.perService=false', 'nats.auth.user=natgw', 'nats.auth.password=s3cret'],
    );
    expect(find(shared, 'Secret', 'natgw-nats').stringData).toEqual({
      user: 'natgw',
      password: 's3cret',
    });
    const env = serviceContainer(shared, 'allocator').env ?? [];
    expect(env.find((e) => e.name === 'NATS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(
      'password',
    );
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
        key: `${service}-username`,
        optional: true,
      });
      expect(ref('NATS_PASSWORD')).toEqual({
        name: 'natgw-nats-auth',
        key: `${service}-password`,
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

  it('name every node of a 3-node NATS cluster and keep the event stream at 3 replicas', () => {
    for (const service of SERVICES) {
      const container = serviceContainer(objects, service);
      expect(configValueOf(container, objects, 'NATS_STREAM_REPLICAS')).toBe('3');
      expect(configValueOf(container, objects, 'NATS_URL')?.split(',')).toHaveLength(3);
    }
  });

  it("ship the official NATS chart's cluster values and a CloudNativePG Cluster whose app Secret they read", () => {
    const nats = parseYaml(
      fs.readFileSync(path.join(ROOT, 'deploy', 'ha', 'nats-values.yaml'), 'utf8'),
    ) as {
      config: {
        cluster: { enabled: boolean; replicas: number };
        jetstream: { enabled: boolean; fileStore: { enabled: boolean } };
      };
    };
    expect(nats.config.cluster).toEqual({ enabled: true, replicas: 3 });
    expect(nats.config.jetstream).toMatchObject({ enabled: true, fileStore: { enabled: true } });
    const cnpg = parseYaml(
      fs.readFileSync(path.join(ROOT, 'deploy', 'ha', 'cnpg-cluster.yaml'), 'utf8'),
    ) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: {
        instances: number;
        minSyncReplicas: number;
        bootstrap: { initdb: { database: string } };
      };
    };
    expect([cnpg.apiVersion, cnpg.kind]).toEqual(['postgresql.cnpg.io/v1', 'Cluster']);
    expect(cnpg.spec.instances).toBeGreaterThanOrEqual(3);
    expect(cnpg.spec.minSyncReplicas).toBeGreaterThanOrEqual(1);
    // CloudNativePG writes "<cluster>-app" with key "uri": what the HA values read.
    const values = parseYaml(fs.readFileSync(VALUES_CASES.ha[0], 'utf8')) as {
      database: { existingSecret: string; existingSecretKey: string };
    };
    expect(values.database).toMatchObject({
      existingSecret: `${cnpg.metadata.name}-app`,
      existingSecretKey: 'uri',
    });
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

interface PolicySpec {
  podSelector: { matchLabels?: Record<string, string> };
  policyTypes: string[];
  ingress?: { from?: unknown[]; ports?: { port: number | string }[] }[];
  egress?: { to?: unknown[]; ports?: { port: number | string }[] }[];
}

describe('security (issue 13): secrets, TLS, credentials, network policies', () => {
  it.each(cases)('renders the same twice: no generated secret (%s)', (name) => {
    expect(renderChart(VALUES_CASES[name])).toEqual(rendered[name]);
    const templates = fs
      .readdirSync(path.join(CHART, 'templates'))
      .map((f) => fs.readFileSync(path.join(CHART, 'templates', f), 'utf8'))
      .join('\n');
    expect(templates).not.toMatch(/randAlpha|randAscii|randNumeric|randBytes|genPrivateKey|uuidv4/);
  });

  it('serves the API over HTTPS with the certificate cert-manager writes (tls)', () => {
    const objects = rendered.tls;
    const api = serviceContainer(objects, 'api-gateway');
    expect(configValueOf(api, objects, 'API_TLS_CERT_FILE')).toBe('/etc/natgw/api-tls/tls.crt');
    expect(configValueOf(api, objects, 'API_TLS_KEY_FILE')).toBe('/etc/natgw/api-tls/tls.key');
    const pod = serviceWorkload(objects, 'api-gateway').spec.template.spec;
    expect(pod.volumes?.find((v) => v.name === 'api-tls')?.secret?.secretName).toBe(
      'natgw-api-tls',
    );
    expect(api.volumeMounts).toContainEqual({
      name: 'api-tls',
      mountPath: '/etc/natgw/api-tls',
      readOnly: true,
    });
    const cert = find(objects, 'Certificate', 'natgw-api-gateway');
    expect(cert.spec).toMatchObject({
      secretName: 'natgw-api-tls',
      issuerRef: { name: 'internal-ca', kind: 'ClusterIssuer' },
    });
    expect((cert.spec as { dnsNames: string[] }).dnsNames).toEqual(
      expect.arrayContaining(['natgw-api-gateway.natgw.svc', 'natgw.example.com']),
    );
    const svc = find(objects, 'Service', 'natgw-api-gateway');
    expect((svc.spec as { ports: { name: string; port: number }[] }).ports[0]).toMatchObject({
      name: 'https',
      port: 443,
    });
    // Off by default: plain HTTP, no certificate.
    const plain = serviceContainer(rendered.defaults, 'api-gateway');
    expect(configValueOf(plain, rendered.defaults, 'API_TLS_CERT_FILE')).toBe('');
    expect(rendered.defaults.filter((o) => o.kind === 'Certificate')).toEqual([]);
  });

  it('puts an Ingress with TLS in front of the API when asked (tls)', () => {
    const ingress = find(rendered.tls, 'Ingress', 'natgw-api-gateway');
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['natgw.example.com'], secretName: 'natgw-ingress-tls' }],
      rules: [
        {
          host: 'natgw.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'natgw-api-gateway', port: { number: 443 } } },
              },
            ],
          },
        },
      ],
    });
    expect(rendered.defaults.filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  it('mounts the inbound NATS grants where NATS_INBOUND_GRANTS_FILE points, in a form the api-gateway loads (tls)', () => {
    const objects = rendered.tls;
    const api = serviceContainer(objects, 'api-gateway');
    expect(configValueOf(api, objects, 'NATS_INBOUND_GRANTS_FILE')).toBe(
      '/etc/natgw/inbound/grants.yaml',
    );
    const cm = find(objects, 'ConfigMap', 'natgw-api-gateway-inbound-grants');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-grants-')), 'grants.yaml');
    fs.writeFileSync(file, (cm.data as Record<string, string>)['grants.yaml']);
    expect(loadInboundGrantsFile(file)).toEqual([
      { system: 'compute', namespaces: new Set(['tenant-a', 'tenant-b']) },
      { system: 'billing', namespaces: '*' },
    ]);
    expect(
      configValueOf(
        serviceContainer(rendered.defaults, 'api-gateway'),
        rendered.defaults,
        'NATS_INBOUND_GRANTS_FILE',
      ),
    ).toBe('');
  });

  it('gives each service its own database URL and NATS user (tls)', () => {
    const objects = rendered.tls;
    const db = find(objects, 'Secret', 'natgw-database').stringData as Record<string, string>;
    const nats = find(objects, 'Secret', 'natgw-nats').stringData as Record<string, string>;
    const urls = new Set<string>();
    for (const service of SERVICES) {
      const env = serviceContainer(objects, service).env ?? [];
      const ref = (n: string) => env.find((e) => e.name === n)?.valueFrom?.secretKeyRef;
      const url = db[ref('DATABASE_URL')?.key ?? ''];
      expect(url).toMatch(/^postgres:\/\//);
      urls.add(url);
      expect(nats[ref('NATS_USER')?.key ?? '']).toBe(service);
      expect(nats[ref('NATS_PASSWORD')?.key ?? '']).toBeTruthy();
    }
    expect(urls.size).toBe(SERVICES.length);
    expect([...urls]).not.toContain(db.DATABASE_URL);
  });

  it.each(cases)('lets only the allocator relay and own the event stream (%s)', (name) => {
    const objects = rendered[name];
    for (const service of SERVICES) {
      const c = serviceContainer(objects, service);
      const owner = service === 'allocator' ? 'true' : 'false';
      expect({
        service,
        relay: configValueOf(c, objects, 'NATS_RELAY'),
        stream: configValueOf(c, objects, 'NATS_ENSURE_STREAM'),
      }).toEqual({ service, relay: owner, stream: owner });
    }
  });

  it('migrates once in a pre-install/pre-upgrade hook Job as the migrator; the services do not migrate', () => {
    const objects = rendered.defaults;
    const job = find(objects, 'Job', 'natgw-migrate') as Workload;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const container = job.spec.template.spec.containers[0];
    expect(container.args).toEqual(['cli', 'migrate']);
    const ref = container.env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
    const secret = find(objects, 'Secret', ref?.name ?? '');
    // Its Secret is a hook too: it exists before the Job runs on the first install.
    expect(secret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(secret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(
      Number(job.metadata.annotations?.['helm.sh/hook-weight']),
    );
    for (const service of SERVICES) {
      expect(configValueOf(serviceContainer(objects, service), objects, 'MIGRATE_ON_START')).toBe(
        'false',
      );
    }
    const external = rendered['external-secrets'];
    const extJob = find(external, 'Job', 'natgw-migrate') as Workload;
    expect(
      extJob.spec.template.spec.containers[0].env?.find((e) => e.name === 'DATABASE_URL')?.valueFrom
        ?.secretKeyRef,
    ).toEqual({ name: 'natgw-pg-app', key: 'uri' });
    const atStart = renderChart([], ['database.migrate.job=false']);
    expect(atStart.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(configValueOf(serviceContainer(atStart, 'allocator'), atStart, 'MIGRATE_ON_START')).toBe(
      'true',
    );
  });

  it.each(cases)(
    'denies all traffic by default and allows each component only what it needs (%s)',
    (name) => {
      const objects = rendered[name];
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
      const deny = find(policies, 'NetworkPolicy', 'natgw-default-deny').spec as PolicySpec;
      expect(deny).toEqual({
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': 'natgw', 'app.kubernetes.io/instance': RELEASE },
        },
        policyTypes: ['Ingress', 'Egress'],
      });
      for (const w of workloads(objects)) {
        const labels = w.spec.template.metadata.labels ?? {};
        const selected = (spec: PolicySpec) =>
          Object.entries(spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
        expect({ [w.metadata.name]: selected(deny) }).toEqual({ [w.metadata.name]: true });
        const own = policies.filter((p) => selected(p.spec as PolicySpec));
        expect(own).toHaveLength(2); // the default deny and its own
        const spec = own.find((p) => p.metadata.name !== 'natgw-default-deny')!.spec as PolicySpec;
        const component = labels['app.kubernetes.io/component'];
        const egressPorts = (spec.egress ?? []).flatMap((e) =>
          (e.ports ?? []).map((p) => Number(p.port)),
        );
        expect(new Set(egressPorts)).toEqual(new Set([53, 5432, 4222]));
        const ingressPorts = (spec.ingress ?? []).flatMap((i) =>
          (i.ports ?? []).map((p) => Number(p.port)),
        );
        const port: Record<string, number[]> = {
          'api-gateway': [8080],
          allocator: [8081],
          'dataplane-executor': [8082],
          migrate: [],
        };
        expect({ component, ingressPorts }).toEqual({ component, ingressPorts: port[component] });
      }
      if (name === 'tls') {
        const api = find(policies, 'NetworkPolicy', 'natgw-api-gateway').spec as PolicySpec;
        expect(api.ingress?.[0].from).toEqual([
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
          },
        ]);
      }
    },
  );
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

  it('never invites sending a token over plain HTTP beyond a port-forward', () => {
    const plain = renderNotes([]);
    expect(plain).toContain('export NATGW_API=http://127.0.0.1:8080');
    expect(plain).toContain('Never send a bearer token over\n   plain HTTP');
    expect(plain).toContain('kubectl create secret generic -n natgw natgw-api-tokens');
    const lbFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'natgw-lb-')), 'lb.yaml');
    fs.writeFileSync(lbFile, 'apiGateway:\n  service:\n    type: LoadBalancer\n');
    const lb = renderNotes([lbFile]);
    expect(lb.match(/https?:\/\/[^\s'"]+/g)?.filter((u) => u.startsWith('http:'))).toEqual([
      'http://127.0.0.1:8080',
    ]);
  });

  it('prints https when TLS is on', () => {
    const notes = renderNotes(VALUES_CASES.tls);
    expect(notes).toContain('export NATGW_API=https://natgw.example.com');
    expect(notes).toContain('HTTPS');
    expect(notes).not.toMatch(/http:\/\//);
  });
});
