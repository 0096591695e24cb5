// The official JavaScript client (@kubernetes/client-node) against natgw.
//
// Drives KubernetesObjectApi (also server-side apply), Watch and an informer (makeInformer) and prints one JSON
// line per step ({"step": ..., ...}) for the jest test to check: nothing here decides
// pass or fail. It runs as its own Node process because the client is an ES module.
//
// Environment: NATGW_SERVER (https://...), NATGW_CA_FILE, NATGW_TOKEN, NATGW_NAMESPACE.
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  makeInformer,
  PatchStrategy,
  Watch,
} from '@kubernetes/client-node';

const GROUP = 'networking.ironcore.dev';
const VERSION = 'v1alpha1';
const API_VERSION = `${GROUP}/${VERSION}`;
const NS = process.env.NATGW_NAMESPACE;
// Watched kind: Networks (deleted at once; a NATGateway waits for the allocator's release).
const PATH = `/apis/${API_VERSION}/namespaces/${NS}/networks`;

const emit = (step, data) => console.log(JSON.stringify({ step, ...data }));

function kubeConfig() {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'natgw',
        server: process.env.NATGW_SERVER,
        caFile: process.env.NATGW_CA_FILE,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: 'js', token: process.env.NATGW_TOKEN }],
    contexts: [{ name: 'natgw', cluster: 'natgw', user: 'js', namespace: NS }],
    currentContext: 'natgw',
  });
  return kc;
}

const network = (name, labels = {}) => ({
  apiVersion: API_VERSION,
  kind: 'Network',
  metadata: { name, namespace: NS, labels },
});

const gateway = (name, labels = {}) => ({
  apiVersion: API_VERSION,
  kind: 'NATGateway',
  metadata: { name, namespace: NS, labels },
  spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'js-net' } },
});

/** Resolves when `check()` holds, polling; rejects after a while naming `what`. */
async function until(check, what, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function objectApi(kc) {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  await objects.create({
    apiVersion: API_VERSION,
    kind: 'Network',
    metadata: { name: 'js-net', namespace: NS },
  });
  const created = await objects.create(gateway('js-gw', { app: 'js' }));
  await objects.create(gateway('js-other', { app: 'other' }));
  const read = await objects.read({
    apiVersion: API_VERSION,
    kind: 'NATGateway',
    metadata: { name: 'js-gw', namespace: NS },
  });
  const listed = await objects.list(
    API_VERSION,
    'NATGateway',
    NS,
    undefined,
    undefined,
    undefined,
    undefined,
    'app=js',
  );
  emit('object-api', {
    created: {
      name: created.metadata.name,
      uid: created.metadata.uid,
      ports: created.spec.portsPerNetworkInterface,
    },
    readUid: read.metadata.uid,
    listed: listed.items.map((o) => o.metadata.name),
  });
  return objects;
}

async function watch(kc, objects) {
  const rv = (await objects.list(API_VERSION, 'Network', NS)).metadata.resourceVersion;
  const events = [];
  let ended;
  const controller = await new Watch(kc).watch(
    PATH,
    { allowWatchBookmarks: true, resourceVersion: rv },
    (type, obj) => events.push({ type, name: obj.metadata.name, rv: obj.metadata.resourceVersion }),
    (err) => (ended = err ?? null),
  );
  await objects.create(network('js-watched'));
  await objects.patch(
    {
      apiVersion: API_VERSION,
      kind: 'Network',
      metadata: { name: 'js-watched', namespace: NS, labels: { seen: 'yes' } },
    },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
  await objects.delete({
    apiVersion: API_VERSION,
    kind: 'Network',
    metadata: { name: 'js-watched', namespace: NS },
  });
  await until(() => events.some((e) => e.type === 'DELETED'), 'the DELETED event');
  controller.abort();
  emit('watch', {
    from: rv,
    events: events.filter((e) => e.type !== 'BOOKMARK'),
    ended: ended ?? 'open',
  });
}

/** Watch-list through the client's Watch: the current objects, then the initial-events-end bookmark. */
async function watchList(kc) {
  const events = [];
  const controller = await new Watch(kc).watch(
    PATH,
    { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true },
    (type, obj) =>
      events.push({
        type,
        name: obj.metadata.name,
        rv: obj.metadata.resourceVersion,
        end: obj.metadata.annotations?.['k8s.io/initial-events-end'],
      }),
    () => undefined,
  );
  await until(() => events.some((e) => e.end === 'true'), 'the initial-events-end bookmark');
  controller.abort();
  emit('watch-list', { events });
}

async function informer(kc, objects) {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const list = () =>
    custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'networks',
    });
  const inf = makeInformer(kc, PATH, list);
  const events = [];
  for (const type of ['add', 'update', 'delete'])
    inf.on(type, (obj) => events.push({ type, name: obj.metadata.name }));
  const errors = [];
  inf.on('error', (err) => errors.push(String(err)));
  await inf.start();
  await until(() => events.some((e) => e.type === 'add'), 'the listed objects');
  await objects.create(network('js-informed'));
  await objects.patch(
    {
      apiVersion: API_VERSION,
      kind: 'Network',
      metadata: { name: 'js-informed', namespace: NS, labels: { v: '2' } },
    },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
  await objects.delete({
    apiVersion: API_VERSION,
    kind: 'Network',
    metadata: { name: 'js-informed', namespace: NS },
  });
  await until(() => events.some((e) => e.type === 'delete'), 'the delete event');
  const cached = inf
    .list(NS)
    .map((o) => o.metadata.name)
    .sort();
  // Errors while it ran (stop() itself aborts the watch, which the informer reports too).
  const failures = [...errors];
  await inf.stop();
  emit('informer', { events, cached, errors: failures });
}

async function serverSideApply(objects) {
  const config = (labels, ports) => ({
    ...gateway('js-applied', labels),
    spec: { ...gateway('').spec, portsPerNetworkInterface: ports },
  });
  const apply = (body, manager, force) =>
    objects.patch(body, undefined, undefined, manager, force, PatchStrategy.ServerSideApply);
  const summary = (o) => ({
    labels: o.metadata.labels ?? {},
    ports: o.spec.portsPerNetworkInterface,
    managers: (o.metadata.managedFields ?? []).map((m) => [m.manager, m.operation]),
  });
  const created = await apply(config({ app: 'js', tier: 'web' }, 512), 'js-client');
  const reapplied = await apply(config({ app: 'js' }, 512), 'js-client');
  let conflict;
  try {
    await apply(config({ app: 'js' }, 1024), 'other-client');
  } catch (err) {
    conflict = {
      code: err.code,
      body: typeof err.body === 'string' ? JSON.parse(err.body) : err.body,
    };
  }
  const forced = await apply(config({ app: 'js' }, 1024), 'other-client', true);
  emit('server-side-apply', {
    created: summary(created),
    reapplied: summary(reapplied),
    conflict,
    forced: summary(forced),
  });
}

async function main() {
  const kc = kubeConfig();
  const objects = await objectApi(kc);
  await watch(kc, objects);
  await informer(kc, objects);
  await watchList(kc);
  await serverSideApply(objects);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`failed: ${err?.stack ?? err} ${err?.body ? JSON.stringify(err.body) : ''}`);
    process.exit(2);
  },
);
