// `npm run demo` (root, Linux): builds a namespace topology, starts natgw with the
// nftables backend, applies the seed's NATGateway with two NICs through the REST
// API, and shows what a server on the "internet" sees of each private VM.
// Everything it creates (namespaces, database, JetStream stream) is removed at the end.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  assertNetnsPrerequisites,
  buildNatTopology,
  createTestDatabase,
  dropTestDatabase,
  eventually,
  NatTopology,
  ServiceProcess,
  testNatsNames,
  deleteTestStream,
} from '@natgw/testing';

const SEED = readFileSync(path.join(__dirname, 'natgateway-sample.yaml'), 'utf8');
const say = (line: string) => process.stdout.write(`${line}\n`);

async function post(url: string, body: string, contentType: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (res.status !== 201) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  say('building namespaces: vm1, vm2 -> gw (nftables) -> inet');
  const topo: NatTopology = await buildNatTopology(2);
  const databaseUrl = await createTestDatabase('demo');
  const nats = testNatsNames('demo');
  const env = {
    DATABASE_URL: databaseUrl,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    PUBLIC_PREFIXES: '203.0.113.0/28',
    DATAPLANE_BACKEND: 'nftables',
    DATAPLANE_NETNS: topo.gateway.ns,
    DATAPLANE_UPLINK: topo.gateway.uplink,
    RECONCILE_INTERVAL_SECONDS: '2',
  };
  const services = ['api-gateway', 'allocator', 'dataplane-executor'].map(
    (s) => new ServiceProcess(s as 'api-gateway', env),
  );
  try {
    say('starting api-gateway, allocator and dataplane-executor');
    for (const s of services) await s.start();
    const api = `${await services[0].url}/apis/networking.ironcore.dev/v1alpha1/namespaces/default`;
    const json = 'application/json';
    await post(
      `${api}/networks`,
      JSON.stringify({
        apiVersion: 'networking.ironcore.dev/v1alpha1',
        kind: 'Network',
        metadata: { name: 'network-sample' },
        spec: {},
      }),
      json,
    );
    for (const [i, vm] of topo.vms.entries()) {
      const nic = {
        apiVersion: 'networking.ironcore.dev/v1alpha1',
        kind: 'NetworkInterface',
        metadata: { name: `vm${i + 1}-nic` },
        spec: { networkRef: { name: 'network-sample' }, ips: [vm.ipv4] },
      };
      await post(`${api}/networkinterfaces`, JSON.stringify(nic), json);
    }
    say('applying the seed NATGateway (application/yaml):');
    say(SEED.trimEnd().replace(/^/gm, '    '));
    await post(`${api}/natgateways`, SEED, 'application/yaml');
    const gw = await eventually(
      async () => {
        const g = (await (await fetch(`${api}/natgateways/natgateway-sample`)).json()) as {
          status: {
            ips: Array<{ ip: string }>;
            conditions: Array<{ type: string; status: string }>;
          };
        };
        return g.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True') && g;
      },
      { timeoutMs: 60_000, what: 'natgateway-sample Ready' },
    );
    say(`natgateway-sample is Ready; status.ips = ${JSON.stringify(gw.status.ips)}`);
    const server = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, 8080, 8081);
    for (const [i, vm] of topo.vms.entries()) {
      const nic = (await (await fetch(`${api}/networkinterfaces/vm${i + 1}-nic`)).json()) as {
        status: { nat: Array<{ ip: string; port: number; endPort: number }> };
      };
      const slot = nic.status.nat[0];
      const token = `demo-vm${i + 1}`;
      const result = await topo.lab.probe(vm.ns, 'tcp', topo.internet.ipv4, 8080, token);
      const seen = server.flow(token);
      say(
        `vm${i + 1} (${vm.ipv4}) -> ${topo.internet.ipv4}:8080 ${result.ok ? 'ok' : 'FAILED'}; ` +
          `the server saw ${seen?.address}:${seen?.port} (slot ${slot.ip} ports ${slot.port}-${slot.endPort})`,
      );
    }
  } finally {
    say('tearing down');
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await topo.lab.destroy();
    await dropTestDatabase(databaseUrl);
    await deleteTestStream(nats.stream);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`demo failed: ${err.message}\n`);
  process.exit(1);
});
