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
const chart = renderChart([], syncBase.CHART_SETS);
const base = renderKustomize(path.join(K8S, 'base'));
const dev = renderKustomize(path.join(K8S, 'overlays', 'dev'));

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
