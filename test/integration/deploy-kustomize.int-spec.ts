// `kubectl apply -k deploy/k8s/overlays/dev` installs the same objects as
// `helm install` with the chart's defaults: same kinds and names, and apart from
// the namespace, the image tag and Helm's own bookkeeping, the same content.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  find,
  idOf,
  K8sObject,
  renderChart,
  renderKustomize,
  ROOT,
  schemaProblems,
  unknownFieldProblems,
  Workload,
  workloads,
} from './deploy-support';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const syncBase = require('../../deploy/k8s/sync-base') as {
  baseFiles: () => Record<string, string>;
  toBaseObject: (obj: K8sObject) => K8sObject;
  CHART_SETS: string[];
};

const K8S = path.join(ROOT, 'deploy', 'k8s');

/** Generated ConfigMaps and Secrets carry a content hash (`name-<10 chars>`). */
const HASHED = /^(.*)-[a-z0-9]{10}$/;

/** The generated names (hashed -> plain) of a render. */
function generatedNames(objects: K8sObject[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== 'ConfigMap' && o.kind !== 'Secret') continue;
    const m = HASHED.exec(o.metadata.name);
    if (m) names.set(o.metadata.name, m[1]);
  }
  return names;
}

/** A render with every generated name and every reference to it back to the plain name. */
function unhashed(objects: K8sObject[]): K8sObject[] {
  let text = JSON.stringify(objects);
  for (const [hashed, plain] of generatedNames(objects)) {
    text = text.split(JSON.stringify(hashed)).join(JSON.stringify(plain));
  }
  return JSON.parse(text) as K8sObject[];
}

/** The prod overlay rendered with its example Secrets (secrets/ itself is git-ignored). */
function renderProd(): K8sObject[] {
  const dir = fs.mkdtempSync(path.join(K8S, 'overlays', '.prod-test-'));
  try {
    for (const f of ['kustomization.yaml', 'cluster.env']) {
      fs.copyFileSync(path.join(K8S, 'overlays', 'prod', f), path.join(dir, f));
    }
    fs.cpSync(path.join(K8S, 'overlays', 'prod', 'secrets.example'), path.join(dir, 'secrets'), {
      recursive: true,
    });
    return renderKustomize(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const chart = renderChart([], syncBase.CHART_SETS);
const baseHashed = renderKustomize(path.join(K8S, 'base'));
const devHashed = renderKustomize(path.join(K8S, 'overlays', 'dev'));
const base = unhashed(baseHashed);
const dev = unhashed(devHashed);

function byId(objects: K8sObject[]): Record<string, K8sObject> {
  return Object.fromEntries(objects.map((o) => [idOf(o), o]));
}

/** An overlay object as the base had it: no namespace, the base's image. */
function withoutOverlay(obj: K8sObject): K8sObject {
  const copy = structuredClone(obj);
  delete copy.metadata.namespace;
  if (workloads([copy]).length > 0) {
    for (const c of (copy as Workload).spec.template.spec.containers)
      c.image = c.image.replace(/:dev$/, ':0.1.0');
  }
  return copy;
}

describe('kustomize', () => {
  it('dev overlay has the same kinds and names as the chart defaults, and the Secrets the chart leaves to the operator', () => {
    expect(dev.map(idOf).sort()).toEqual([...chart.map(idOf), 'Secret/natgw-api-tokens'].sort());
  });

  it.each([
    ['base', base],
    ['overlays/dev', dev],
  ])('%s: every object validates against the Kubernetes schemas', (_name, objects) => {
    const problems = objects.flatMap((o) => schemaProblems(o).map((p) => `${idOf(o)}: ${p}`));
    expect(problems).toEqual([]);
    expect(unknownFieldProblems(objects)).toEqual([]);
  });

  it('base files are what sync-base.js generates from the current chart', () => {
    const stale = Object.entries(syncBase.baseFiles())
      .filter(
        ([file, content]) => fs.readFileSync(path.join(K8S, 'base', file), 'utf8') !== content,
      )
      .map(([file]) => `${file} is stale: run node deploy/k8s/sync-base.js`);
    expect(stale).toEqual([]);
  });

  it('base holds the chart objects, Secrets aside, with only Helm bookkeeping removed', () => {
    const expected = chart.filter((o) => o.kind !== 'Secret').map((o) => syncBase.toBaseObject(o));
    expect(byId(base)).toEqual(byId(expected));
    const helmOnly = JSON.stringify(base);
    expect(helmOnly).not.toContain('helm.sh/chart');
    expect(helmOnly).not.toContain('checksum/');
  });

  it('dev overlay changes only the namespace and the image tag, and adds the Secrets', () => {
    expect(new Set(dev.map((o) => o.metadata.namespace))).toEqual(new Set(['natgw-dev']));
    const images = new Set(
      workloads(dev).flatMap((w) => w.spec.template.spec.containers.map((c) => c.image)),
    );
    expect(images).toEqual(new Set(['natgw:dev']));
    const devNonSecret = dev.filter((o) => o.kind !== 'Secret').map(withoutOverlay);
    expect(byId(devNonSecret)).toEqual(byId(base));
  });

  it('hashes every ConfigMap and Secret name, and points the workloads at the hashed names', () => {
    const generated = devHashed.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret');
    expect(generated.length).toBeGreaterThanOrEqual(6);
    for (const o of generated) expect(o.metadata.name).toMatch(HASHED);
    const referenced = JSON.stringify(workloads(devHashed));
    for (const o of generated) expect(referenced).toContain(JSON.stringify(o.metadata.name));
    expect(referenced).not.toContain('"natgw-database"');
  });

  it('a changed config value gives the ConfigMap a new name, and so a new pod template', () => {
    const dir = fs.mkdtempSync(path.join(K8S, 'overlays', '.hash-test-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        [
          'resources: [../../base]',
          'configMapGenerator:',
          '  - name: natgw-allocator',
          '    behavior: merge',
          '    literals: [LOG_LEVEL=debug]',
          '',
        ].join('\n'),
      );
      const changed = renderKustomize(dir);
      const envFrom = (objects: K8sObject[]) =>
        JSON.stringify(find<Workload>(objects, 'Deployment', 'natgw-allocator').spec.template);
      expect(envFrom(changed)).not.toEqual(envFrom(baseHashed));
      // The other services' pods stay as they were.
      expect(
        JSON.stringify(find<Workload>(changed, 'Deployment', 'natgw-api-gateway').spec.template),
      ).toEqual(
        JSON.stringify(find<Workload>(baseHashed, 'Deployment', 'natgw-api-gateway').spec.template),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prod overlay: the base with a 3-node NATS URL list, 3 stream replicas, 3 allocators and api-gateways, hashed Secrets', () => {
    const prodHashed = renderProd();
    const prod = unhashed(prodHashed);
    expect(
      prod
        .filter((o) => o.kind !== 'Secret')
        .map(idOf)
        .sort(),
    ).toEqual(base.map(idOf).sort());
    expect(new Set(prod.map((o) => o.metadata.namespace))).toEqual(new Set(['natgw']));
    const problems = prod.flatMap((o) => schemaProblems(o).map((p) => `${idOf(o)}: ${p}`));
    expect(problems).toEqual([]);
    for (const name of ['natgw-api-gateway', 'natgw-allocator', 'natgw-dataplane-executor']) {
      const data = find(prod, 'ConfigMap', name).data as Record<string, string>;
      expect(data.NATS_STREAM_REPLICAS).toBe('3');
      expect(data.NATS_URL.split(',')).toHaveLength(3);
    }
    for (const name of ['natgw-api-gateway', 'natgw-allocator']) {
      expect(find<Workload>(prod, 'Deployment', name).spec.replicas).toBe(3);
    }
    for (const o of prodHashed.filter((x) => x.kind === 'Secret')) {
      expect(o.metadata.name).toMatch(HASHED);
    }
    expect(Object.keys(find(prod, 'Secret', 'natgw-database').data ?? {})).toContain(
      'DATABASE_URL',
    );
  });

  it('dev overlay Secrets hold the keys the workloads read, and a valid tokens file', () => {
    const data = (name: string): Record<string, string> =>
      Object.fromEntries(
        Object.entries((find(dev, 'Secret', name).data ?? {}) as Record<string, string>).map(
          ([k, v]) => [k, Buffer.from(v, 'base64').toString()],
        ),
      );
    expect(data('natgw-database').DATABASE_URL).toMatch(/^postgres:\/\/\S+$/);
    expect(data('natgw-nats')).toEqual({});
    const tokens = parseYaml(data('natgw-api-tokens')['tokens.yaml']) as {
      tokens: { token: string; user: string; namespaces: string[]; verbs: string[] }[];
    };
    expect(tokens.tokens).toEqual([
      { token: expect.any(String), user: 'dev-admin', namespaces: ['*'], verbs: ['read', 'write'] },
    ]);
  });
});
