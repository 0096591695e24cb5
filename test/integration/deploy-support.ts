// Shared by the deploy-*.int-spec.ts tests: render the Helm chart and the
// kustomize overlays with the real helm and kubectl binaries, validate objects
// against the Kubernetes schemas, and read workloads' containers and env.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { k8sTools } = require('../../scripts/k8s-tools') as {
  k8sTools: () => { helm: string; kubectl: string };
};

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHART = path.join(ROOT, 'deploy', 'helm', 'natgw');
export const RELEASE = 'natgw';

/** The values files the chart is tested with; "defaults" uses none. */
export const VALUES_CASES: Record<string, string[]> = {
  defaults: [],
  'external-secrets': [path.join(CHART, 'ci', 'external-secrets-values.yaml')],
  ha: [path.join(CHART, 'ci', 'ha-values.yaml')],
  tls: [path.join(CHART, 'ci', 'tls-values.yaml')],
};

/** The deployed services: app directory name = container name = image argument. */
export const SERVICES = ['api-gateway', 'allocator', 'dataplane-executor'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: {
    requests?: Record<string, string | number>;
    limits?: Record<string, string | number>;
  };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
  dnsPolicy?: string;
  serviceAccountName?: string;
  securityContext?: SecurityContext;
  volumes?: {
    name: string;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
    configMap?: { name: string };
  }[];
}

/** A Deployment, DaemonSet, StatefulSet or Job with its pod template. */
export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template: { metadata: { labels?: Record<string, string> }; spec: PodSpec };
  };
}

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job']);

function parseObjects(text: string, source: string): K8sObject[] {
  const docs = parseAllDocuments(text);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** Runs helm with these arguments and returns stdout; throws with helm's stderr. */
export function helm(args: string[]): string {
  try {
    return execFileSync(k8sTools().helm, args, { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** The chart's objects rendered with these values files and --set flags. */
export function renderChart(valuesFiles: string[] = [], sets: string[] = []): K8sObject[] {
  const args = ['template', RELEASE, CHART, '--namespace', 'natgw'];
  for (const file of valuesFiles) args.push('-f', file);
  for (const set of sets) args.push('--set', set);
  return parseObjects(helm(args), `helm template ${valuesFiles.join(' ')}`);
}

/** `kubectl kustomize dir` as objects. */
export function renderKustomize(dir: string): K8sObject[] {
  const out = execFileSync(k8sTools().kubectl, ['kustomize', dir], { encoding: 'utf8' });
  return parseObjects(out, `kubectl kustomize ${dir}`);
}

/** "Kind/name", how tests name an object. */
export function idOf(obj: K8sObject): string {
  return `${obj.kind}/${obj.metadata.name}`;
}

/** The one object of this kind and name; throws naming what is there instead. */
export function find<T extends K8sObject = K8sObject>(
  objects: K8sObject[],
  kind: string,
  name: string,
): T {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name} among ${objects.map(idOf).join(', ')}`);
  return found as T;
}

/** Every workload (Deployment, DaemonSet, ...) among the objects. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind)) as Workload[];
}

/** The workload running this service's container. */
export function serviceWorkload(objects: K8sObject[], service: string): Workload {
  const matches = workloads(objects).filter((w) =>
    w.spec.template.spec.containers.some((c) => c.name === service),
  );
  if (matches.length !== 1) {
    throw new Error(`expected one workload with container ${service}, found ${matches.map(idOf)}`);
  }
  return matches[0];
}

/** The service's container. */
export function serviceContainer(objects: K8sObject[], service: string): Container {
  const container = serviceWorkload(objects, service).spec.template.spec.containers.find(
    (c) => c.name === service,
  );
  if (!container) throw new Error(`no container ${service}`);
  return container;
}

/**
 * The environment variable names a container gets: its `env` entries plus the
 * keys of ConfigMaps and Secrets it loads with `envFrom` (looked up among the
 * rendered objects; a source that is not rendered contributes nothing known).
 */
export function envNamesOf(container: Container, objects: K8sObject[]): Set<string> {
  const names = new Set((container.env ?? []).map((e) => e.name));
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const obj = objects.find((o) => o.kind === kind && o.metadata.name === ref?.name);
    if (!obj) throw new Error(`envFrom ${kind} ${ref?.name} of ${container.name} is not rendered`);
    const data = { ...(obj.data as object | undefined), ...(obj.stringData as object | undefined) };
    for (const key of Object.keys(data)) names.add(key);
  }
  return names;
}

/** The value a ConfigMap loaded with envFrom gives this variable, if any. */
export function configValueOf(
  container: Container,
  objects: K8sObject[],
  name: string,
): string | undefined {
  const literal = container.env?.find((e) => e.name === name);
  if (literal) return literal.value;
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    const cm = find(objects, 'ConfigMap', source.configMapRef.name);
    const data = cm.data as Record<string, string> | undefined;
    if (data && name in data) return data[name];
  }
  return undefined;
}

type Validator = { validate(): void };
type ModelClass = new (data: unknown) => Validator;

/** The kubernetes-models class of this apiVersion and kind, if the package has one. */
function modelClass(apiVersion: string, kind: string): ModelClass | undefined {
  let group: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    group = require(`kubernetes-models/${apiVersion}`) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  return group[kind] as ModelClass | undefined;
}

const DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

function checkServiceMonitor(obj: K8sObject): string[] {
  const spec = obj.spec as {
    selector?: { matchLabels?: Record<string, string> };
    endpoints?: { port?: string; path?: string; interval?: string; scrapeTimeout?: string }[];
  };
  const problems: string[] = [];
  if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) {
    problems.push('spec.selector.matchLabels must select the Services');
  }
  if (!Array.isArray(spec?.endpoints) || spec.endpoints.length === 0) {
    problems.push('spec.endpoints must not be empty');
  }
  for (const [i, ep] of (spec?.endpoints ?? []).entries()) {
    if (typeof ep.port !== 'string') problems.push(`spec.endpoints[${i}].port must be a port name`);
    for (const field of ['interval', 'scrapeTimeout'] as const) {
      const v = ep[field];
      if (v !== undefined && !DURATION.test(v)) {
        problems.push(`spec.endpoints[${i}].${field} must be a duration`);
      }
    }
  }
  return problems;
}

/** A PrometheusRule's alerting rule. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The alerting rules of a PrometheusRule. */
export function alertRules(obj: K8sObject): AlertRule[] {
  const spec = obj.spec as { groups?: { name: string; rules?: AlertRule[] }[] };
  return (spec?.groups ?? []).flatMap((g) => g.rules ?? []);
}

function checkPrometheusRule(obj: K8sObject): string[] {
  const spec = obj.spec as { groups?: { name?: string; rules?: AlertRule[] }[] };
  const problems: string[] = [];
  if (!Array.isArray(spec?.groups) || spec.groups.length === 0) {
    return ['spec.groups must not be empty'];
  }
  for (const [g, group] of spec.groups.entries()) {
    if (typeof group.name !== 'string' || !group.name)
      problems.push(`spec.groups[${g}].name is required`);
    if (!Array.isArray(group.rules) || group.rules.length === 0) {
      problems.push(`spec.groups[${g}].rules must not be empty`);
    }
    for (const [r, rule] of (group.rules ?? []).entries()) {
      const at = `spec.groups[${g}].rules[${r}]`;
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(rule.alert ?? ''))
        problems.push(`${at}.alert must be a name`);
      if (typeof rule.expr !== 'string' || !rule.expr.trim())
        problems.push(`${at}.expr is required`);
      if (rule.for !== undefined && !DURATION.test(rule.for))
        problems.push(`${at}.for must be a duration`);
      if (!['critical', 'warning', 'info'].includes(rule.labels?.severity ?? '')) {
        problems.push(`${at}.labels.severity must be critical, warning or info`);
      }
      for (const a of ['summary', 'description', 'runbook_url']) {
        if (!rule.annotations?.[a]) problems.push(`${at}.annotations.${a} is required`);
      }
    }
  }
  return problems;
}

function checkCertificate(obj: K8sObject): string[] {
  const spec = obj.spec as {
    secretName?: string;
    issuerRef?: { name?: string; kind?: string };
    dnsNames?: string[];
  };
  const problems: string[] = [];
  if (!spec?.secretName) problems.push('spec.secretName is required');
  if (!spec?.issuerRef?.name) problems.push('spec.issuerRef.name is required');
  if (!['Issuer', 'ClusterIssuer'].includes(spec?.issuerRef?.kind ?? '')) {
    problems.push('spec.issuerRef.kind must be Issuer or ClusterIssuer');
  }
  if (!Array.isArray(spec?.dnsNames) || spec.dnsNames.length === 0) {
    problems.push('spec.dnsNames must not be empty');
  }
  return problems;
}

/**
 * kustomize wraps long base64 Secret values over several lines; Kubernetes'
 * base64 decoder skips line breaks, the schema's "byte" format does not.
 */
function withUnwrappedSecretData(obj: K8sObject): K8sObject {
  if (obj.kind !== 'Secret' || !obj.data) return obj;
  const data = Object.fromEntries(
    Object.entries(obj.data as Record<string, string>).map(([k, v]) => [
      k,
      v.replace(/[\r\n]/g, ''),
    ]),
  );
  return { ...obj, data };
}

/**
 * Why this object is not valid: kubernetes-models' JSON schema validation for
 * built-in kinds; for the prometheus-operator kinds (no schema package here),
 * the fields Prometheus needs; for a cert-manager Certificate, the fields it
 * needs. An unknown kind is itself a problem.
 */
export function schemaProblems(obj: K8sObject): string[] {
  if (obj.apiVersion === 'monitoring.coreos.com/v1') {
    if (obj.kind === 'ServiceMonitor') return checkServiceMonitor(obj);
    if (obj.kind === 'PrometheusRule') return checkPrometheusRule(obj);
  }
  if (obj.apiVersion === 'cert-manager.io/v1' && obj.kind === 'Certificate') {
    return checkCertificate(obj);
  }
  const Model = modelClass(obj.apiVersion, obj.kind);
  if (!Model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(withUnwrappedSecretData(obj)).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** True when every label of the selector is among the labels. */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/**
 * Fields the Kubernetes types do not know (a typo such as `readinesProbe`), and
 * any type mismatch: the JSON schemas of kubernetes-models allow unknown
 * properties, so every object is type-checked as an object literal of its
 * kubernetes-models interface, where TypeScript rejects excess properties.
 * Kinds without a kubernetes-models type (the prometheus-operator ones) are
 * left to schemaProblems.
 */
export function unknownFieldProblems(objects: K8sObject[]): string[] {
  const typed = objects.filter((o) => modelClass(o.apiVersion, o.kind) !== undefined);
  const imports = new Set<string>();
  const lines: string[] = [];
  for (const [i, obj] of typed.entries()) {
    const alias = `I${obj.kind}_${obj.apiVersion.replace(/[^A-Za-z0-9]/g, '_')}`;
    imports.add(
      `import type { I${obj.kind} as ${alias} } from 'kubernetes-models/${obj.apiVersion}/${obj.kind}';`,
    );
    lines.push(`export const o${i}: ${alias} = ${JSON.stringify(withUnwrappedSecretData(obj))};`);
  }
  // Inside the project's node_modules, so that 'kubernetes-models' resolves.
  const cache = path.join(ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'natgw-k8s-typecheck-'));
  try {
    const file = path.join(dir, 'objects.ts');
    fs.writeFileSync(file, [...imports, ...lines].join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (!d.file || d.start === undefined) return message;
      const line = d.file.getLineAndCharacterOfPosition(d.start).line - imports.size;
      const obj = typed[line];
      return obj ? `${idOf(obj)}: ${message}` : message;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
