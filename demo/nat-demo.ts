// `npm run demo` (root, Linux): two tenants with the same private address on one node.
// Two Networks (natgw gives each a VNI), each with one VM at 10.77.0.2 behind its own
// interface in the gateway namespace (named by DATAPLANE_NETWORK_INTERFACE, vni{vni}),
// each with its own NATGateway (the first one is the seed, applied as YAML). Both VMs
// connect at the same time from the same source port to the same server, and the demo
// prints what the server saw of each. Everything it creates (namespaces, database,
// JetStream stream) is removed at the end.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  assertNetnsPrerequisites,
  buildNetworkTopology,
  createTestDatabase,
  deleteTestStream,
  dropTestDatabase,
  eventually,
  NetworkTopology,
  ServiceProcess,
  testNatsNames,
} from '@natgw/testing';

const SEED = readFileSync(path.join(__dirname, 'natgateway-sample.yaml'), 'utf8');
const API_VERSION = 'networking.ironcore.dev/v1alpha1';
const TEMPLATE = 'vni{vni}';
const SOURCE_PORT = 40_000;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Tenant A uses the seed's network and gateway; tenant B its own. */
const TENANTS = [
  { network: 'network-sample', gateway: 'natgateway-sample', vm: 'vm-a' },
  { network: 'network-b', gateway: 'natgateway-b', vm: 'vm-b' },
];

async function post(url: string, body: string, contentType: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
}

async function get<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  const databaseUrl = await createTestDatabase('demo');
  const nats = testNatsNames('demo');
  const env = {
    DATABASE_URL: databaseUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    PUBLIC_PREFIXES: '203.0.113.0/28',
    RECONCILE_INTERVAL_SECONDS: '2',
  };
  const services: ServiceProcess[] = [];
  let topo: NetworkTopology | undefined;
  try {
    say('starting api-gateway and allocator');
    for (const name of ['api-gateway', 'allocator'] as const) {
      const service = new ServiceProcess(name, env);
      services.push(service);
      await service.start();
    }
    const api = `${await services[0].url}/apis/${API_VERSION}/namespaces/default`;
    const json = 'application/json';
    const vnis: number[] = [];
    for (const tenant of TENANTS) {
      await post(
        `${api}/networks`,
        JSON.stringify({
          apiVersion: API_VERSION,
          kind: 'Network',
          metadata: { name: tenant.network },
          spec: {},
        }),
        json,
      );
      const vni = await eventually(
        async () =>
          (await get<{ status?: { vni?: number } }>(`${api}/networks/${tenant.network}`)).status
            ?.vni,
        { timeoutMs: 60_000, what: `${tenant.network} status.vni` },
      );
      vnis.push(vni);
      say(`network ${tenant.network} got VNI ${vni}`);
    }
    say(
      `building namespaces: ${TENANTS.map((t, i) => `${t.vm} (10.77.0.2) -> gw:${TEMPLATE.replace('{vni}', String(vnis[i]))}`).join(', ')} -> inet`,
    );
    topo = await buildNetworkTopology(vnis, TEMPLATE);
    say(`starting dataplane-executor (nftables, DATAPLANE_NETWORK_INTERFACE=${TEMPLATE})`);
    const executor = new ServiceProcess('dataplane-executor', {
      ...env,
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: topo.gateway.ns,
      DATAPLANE_UPLINK: topo.gateway.uplink,
      DATAPLANE_NETWORK_INTERFACE: TEMPLATE,
    });
    services.push(executor);
    await executor.start();
    for (const [i, tenant] of TENANTS.entries()) {
      const { vm } = topo.networks[i];
      const nic = {
        apiVersion: API_VERSION,
        kind: 'NetworkInterface',
        metadata: { name: tenant.vm },
        spec: { networkRef: { name: tenant.network }, ips: [vm.ipv4] },
      };
      await post(`${api}/networkinterfaces`, JSON.stringify(nic), json);
    }
    say('applying the seed NATGateway for network-sample (application/yaml):');
    say(SEED.trimEnd().replace(/^/gm, '    '));
    await post(`${api}/natgateways`, SEED, 'application/yaml');
    say('and natgateway-b for network-b (application/json)');
    await post(
      `${api}/natgateways`,
      JSON.stringify({
        apiVersion: API_VERSION,
        kind: 'NATGateway',
        metadata: { name: 'natgateway-b' },
        spec: {
          type: 'Public',
          ipFamily: 'IPv4',
          portsPerNetworkInterface: 64,
          networkRef: { name: 'network-b' },
        },
      }),
      json,
    );
    for (const tenant of TENANTS) {
      const gw = await eventually(
        async () => {
          const g = await get<{
            status: {
              ips?: Array<{ ip: string }>;
              conditions?: Array<{ type: string; status: string }>;
            };
          }>(`${api}/natgateways/${tenant.gateway}`);
          return (g.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
            ? g
            : undefined;
        },
        { timeoutMs: 60_000, what: `${tenant.gateway} Ready` },
      );
      say(`${tenant.gateway} is Ready; status.ips = ${JSON.stringify(gw.status.ips)}`);
    }
    const server = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, 8080, 8081);
    say(
      `both VMs connect at once: 10.77.0.2:${SOURCE_PORT} -> ${topo.internet.ipv4}:8080 (one 5-tuple, two networks)`,
    );
    const results = await Promise.all(
      TENANTS.map((tenant, i) =>
        topo!.lab.probe(
          topo!.networks[i].vm.ns,
          'tcp',
          topo!.internet.ipv4,
          8080,
          `demo-${tenant.vm}`,
          5000,
          SOURCE_PORT,
        ),
      ),
    );
    for (const [i, tenant] of TENANTS.entries()) {
      const nic = await get<{
        status: { nat?: Array<{ ip: string; port: number; endPort: number }> };
      }>(`${api}/networkinterfaces/${tenant.vm}`);
      const slot = nic.status.nat?.[0];
      const seen = server.flow(`demo-${tenant.vm}`);
      say(
        `${tenant.vm} in ${tenant.network} (VNI ${vnis[i]}, 10.77.0.2): ${results[i].ok ? 'ok' : `FAILED (${results[i].error})`}; ` +
          `the server saw ${seen?.address}:${seen?.port} (slot ${slot?.ip} ports ${slot?.port}-${slot?.endPort})`,
      );
    }
  } finally {
    say('tearing down');
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await topo?.lab.destroy();
    await dropTestDatabase(databaseUrl);
    await deleteTestStream(nats.stream);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
