// Drift repair latency: natgw's whole system with the nftables backend in a scratch
// network namespace, RECONCILE_INTERVAL_SECONDS=1. Each round deletes natgw's table
// by hand and measures the time until the table read back equals the log again.
// Prints a table and writes bench/results/drift.json. Run: npm run bench:drift (root).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { diffNatRules, isNatRuleDiffEmpty, NatRule } from '@natgw/domain';
import {
  assertNetnsPrerequisites,
  createTestDatabase,
  dropTestDatabase,
  NetnsLab,
  ServiceProcess,
  testNatsNames,
  deleteTestStream,
} from '@natgw/testing';
import { Client } from 'pg';
import { NftablesBackend } from '../apps/dataplane-executor/src/backends';

const NICS = Number(process.env.BENCH_DRIFT_NICS ?? 200);
const ROUNDS = Number(process.env.BENCH_DRIFT_ROUNDS ?? 10);

async function desired(url: string): Promise<NatRule[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT family, nic_uid::text, gateway_uid::text, private_ip, nat_ip, port, end_port FROM natgw_nat_slots`,
    );
    return rows.map((r) => ({
      nicUid: r.nic_uid,
      gatewayUid: r.gateway_uid,
      family: r.family,
      privateIp: r.private_ip,
      natIp: r.nat_ip,
      port: r.port,
      endPort: r.end_port,
    }));
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  const lab = new NetnsLab();
  const ns = await lab.namespace('drift');
  const url = await createTestDatabase('bench_drift');
  const nats = testNatsNames('bench_drift');
  const env = {
    DATABASE_URL: url,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    PUBLIC_PREFIXES: '203.0.113.0/24',
    DATAPLANE_BACKEND: 'nftables',
    DATAPLANE_NETNS: ns,
    DATAPLANE_UPLINK: 'lo',
    // Measures the services, not the per-client rate limit (every request comes from one client).
    RATE_LIMIT_QPS: '0',
    RECONCILE_INTERVAL_SECONDS: '1',
  };
  const services = (['api-gateway', 'allocator', 'dataplane-executor'] as const).map(
    (s) => new ServiceProcess(s, env),
  );
  const backend = new NftablesBackend({ netns: ns, uplinks: ['lo'] });
  try {
    for (const s of services) await s.start();
    const api = `${await services[0].url}/apis/networking.ironcore.dev/v1alpha1/namespaces/default`;
    const post = (plural: string, body: unknown) =>
      fetch(`${api}/${plural}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const v = 'networking.ironcore.dev/v1alpha1';
    await post('networks', { apiVersion: v, kind: 'Network', metadata: { name: 'net' }, spec: {} });
    await post('natgateways', {
      apiVersion: v,
      kind: 'NATGateway',
      metadata: { name: 'gw' },
      spec: {
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 64,
        networkRef: { name: 'net' },
      },
    });
    for (let i = 0; i < NICS; i++) {
      await post('networkinterfaces', {
        apiVersion: v,
        kind: 'NetworkInterface',
        metadata: { name: `nic-${i}` },
        spec: { networkRef: { name: 'net' }, ips: [`10.${Math.floor(i / 250)}.${i % 250}.1`] },
      });
    }
    const inSync = async () => {
      const want = await desired(url);
      return want.length === NICS && isNatRuleDiffEmpty(diffNatRules(want, await backend.read()));
    };
    while (!(await inSync())) await new Promise((r) => setTimeout(r, 100));
    const latencies: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Start at a random point of the interval.
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      const deleted = await lab.exec(ns, 'nft', ['delete', 'table', 'inet', 'natgw']);
      if (deleted.code !== 0) throw new Error(`nft delete failed: ${deleted.stderr}`);
      const start = process.hrtime.bigint();
      while (!(await inSync())) await new Promise((r) => setTimeout(r, 20));
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    latencies.sort((a, b) => a - b);
    const pick = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const rows = [
      ['NICs in the table', String(NICS)],
      ['rounds', String(ROUNDS)],
      ['repair latency p50', `${pick(0.5).toFixed(0)} ms`],
      ['repair latency max', `${latencies[latencies.length - 1].toFixed(0)} ms`],
      ['baseline: RECONCILE_INTERVAL_SECONDS', '1000 ms (the worst case a periodic check allows)'],
    ];
    process.stdout.write(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n`);
    for (const [k, val] of rows) process.stdout.write(`${k.padEnd(40)} ${val}\n`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'drift.json'),
      `${JSON.stringify({ nics: NICS, latenciesMs: latencies }, null, 2)}\n`,
    );
  } finally {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await lab.destroy();
    await dropTestDatabase(url);
    await deleteTestStream(nats.stream);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:drift failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
