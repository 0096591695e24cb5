// The chart and the services agree on configuration: every environment variable
// a service's config class declares (its @Expose()d properties, read at test
// time, so a variable added to a service shows up here at once) is set for that
// service's container, and the chart sets none that the service does not read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TransformationType } from 'class-transformer';
import { BaseConfig } from '@natgw/platform';
import {
  envNamesOf,
  idOf,
  K8sObject,
  renderChart,
  renderKustomize,
  ROOT,
  serviceContainer,
  SERVICES,
  VALUES_CASES,
} from './deploy-support';

interface ExposeMetadata {
  propertyName: string;
  options?: { name?: string };
}

// class-transformer keeps @Expose() metadata in this singleton; its public
// entry points do not list exposed properties, hence the internal module.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: {
    getExposedMetadatas(target: object): ExposeMetadata[];
    getExposedProperties(target: object, type: TransformationType): string[];
  };
};

type ConfigClass = abstract new () => BaseConfig;

/** The config classes an app declares: exports of apps/<app>/src/*.config.ts extending BaseConfig. */
function configClassesOf(app: string): ConfigClass[] {
  const dir = path.join(ROOT, 'apps', app, 'src');
  const classes: ConfigClass[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.config.ts'))) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exports = require(path.join(dir, file)) as Record<string, unknown>;
    for (const value of Object.values(exports)) {
      if (typeof value === 'function' && value.prototype instanceof BaseConfig) {
        classes.push(value as ConfigClass);
      }
    }
  }
  return classes;
}

/** The environment variables a config class reads: its exposed names, inherited ones included. */
function variablesOf(cls: ConfigClass): Set<string> {
  const names = new Set<string>();
  const properties = new Set(
    defaultMetadataStorage.getExposedProperties(cls, TransformationType.PLAIN_TO_CLASS),
  );
  for (const meta of defaultMetadataStorage.getExposedMetadatas(cls)) {
    if (properties.has(meta.propertyName)) names.add(meta.options?.name ?? meta.propertyName);
  }
  return names;
}

/** What each deployed service reads. */
function declaredVariables(): Record<string, Set<string>> {
  const declared: Record<string, Set<string>> = {};
  for (const service of SERVICES) {
    const classes = configClassesOf(service);
    if (classes.length === 0)
      throw new Error(`apps/${service}/src has no *.config.ts class extending BaseConfig`);
    declared[service] = new Set(classes.flatMap((cls) => [...variablesOf(cls)]));
  }
  return declared;
}

/** Where the rendered objects and the services disagree, one message per variable. */
function envMismatches(objects: K8sObject[], declared: Record<string, Set<string>>): string[] {
  const problems: string[] = [];
  for (const service of SERVICES) {
    const set = envNamesOf(serviceContainer(objects, service), objects);
    for (const name of declared[service]) {
      if (!set.has(name)) problems.push(`${service} reads ${name} but the manifests do not set it`);
    }
    for (const name of set) {
      if (!declared[service].has(name))
        problems.push(`the manifests set ${name} for ${service}, which does not read it`);
    }
  }
  return problems;
}

const declared = declaredVariables();

describe('environment variables: config classes vs manifests', () => {
  it('reads the variables from the config classes, inherited ones included', () => {
    expect([...declared['api-gateway']]).toEqual(
      expect.arrayContaining([
        'API_PORT',
        'API_HOST',
        'AUTH_TOKENS_FILE',
        'DATABASE_URL',
        'NATS_URL',
      ]),
    );
    expect([...declared['dataplane-executor']]).toEqual(
      expect.arrayContaining(['NODE_NAME', 'EXECUTOR_PORT', 'NATS_CREDS_FILE', 'NATS_TOKEN']),
    );
    expect(declared.allocator.has('API_PORT')).toBe(false);
  });

  it.each(Object.keys(VALUES_CASES))('match for every service with the %s chart values', (name) => {
    expect(envMismatches(renderChart(VALUES_CASES[name]), declared)).toEqual([]);
  });

  it('match for every service in the kustomize dev overlay', () => {
    const objects = renderKustomize(path.join(ROOT, 'deploy', 'k8s', 'overlays', 'dev'));
    expect(envMismatches(objects, declared)).toEqual([]);
  });

  it('are all listed in the configuration reference of docs/operations.md', () => {
    const docs = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
    const reference = docs.slice(
      docs.indexOf('## Configuration reference'),
      docs.indexOf('## Migrations'),
    );
    const all = new Set(Object.values(declared).flatMap((names) => [...names]));
    expect([...all].filter((name) => !reference.includes(`\`${name}\``))).toEqual([]);
  });

  it('report a variable the chart sets that the service does not read', () => {
    const objects = renderChart(
      [],
      ['allocator.extraEnv[0].name=ALLOCATOR_TYPO', 'allocator.extraEnv[0].value=on'],
    );
    expect(envMismatches(objects, declared)).toEqual([
      'the manifests set ALLOCATOR_TYPO for allocator, which does not read it',
    ]);
  });

  it('report a variable a service reads that the manifests leave out', () => {
    const objects = renderChart();
    const executor = serviceContainer(objects, 'dataplane-executor');
    executor.env = executor.env?.filter((e) => e.name !== 'NODE_NAME');
    expect(envMismatches(objects, declared)).toEqual([
      'dataplane-executor reads NODE_NAME but the manifests do not set it',
    ]);
    expect(objects.map(idOf)).toContain('DaemonSet/natgw-dataplane-executor');
  });
});
