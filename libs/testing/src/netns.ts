import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** What one command inside (or outside) a namespace returned. */
export interface LabCommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A TCP or UDP packet flow as a server in the lab saw it. */
export interface SeenFlow {
  readonly proto: 'tcp' | 'udp';
  /** Source address as the server saw it (after any NAT). */
  readonly address: string;
  /** Source port as the server saw it (after any NAT). */
  readonly port: number;
  /** The token the probe sent, to tell probes apart. */
  readonly token: string;
}

/** What a probe got: a reply, or why not. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly error?: string;
}

/** An ICMP echo request as a sniffer in the lab saw it. */
export interface SeenEcho {
  readonly address: string;
  readonly id: number;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Throws, saying what to install or how to run, unless this process can build network namespaces
 * and program nftables in them: root, `ip` (iproute2), `nft` (nftables), and python3 for ICMP.
 * Dataplane tests call it first so that they fail loudly instead of skipping.
 */
export function assertNetnsPrerequisites(): void {
  const missing: string[] = [];
  if (!process.getuid || process.getuid() !== 0) {
    missing.push(
      'root (network namespaces and nftables need CAP_NET_ADMIN): run the tests as root',
    );
  }
  if (!has('ip')) missing.push('`ip`: apt-get install -y iproute2');
  if (!has('nft')) missing.push('`nft`: apt-get install -y nftables');
  if (!has('python3')) missing.push('`python3` (ICMP probes): apt-get install -y python3');
  if (missing.length > 0) {
    throw new Error(`dataplane tests cannot run; missing:\n  - ${missing.join('\n  - ')}`);
  }
}

function run(command: string, args: readonly string[], input?: string, timeoutMs = 30_000) {
  return new Promise<LabCommandResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** A long-running process inside a namespace, read line by line. */
export class LabProcess {
  readonly lines: string[] = [];
  private exited = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly description: string,
    private readonly child: ChildProcess,
  ) {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        this.lines.push(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
      }
      this.wake();
    });
    child.stderr?.on('data', (chunk: Buffer) => this.lines.push(`stderr: ${chunk.toString()}`));
    child.on('exit', () => {
      this.exited = true;
      this.wake();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Resolves with the first line that matches; rejects after timeoutMs or when the process ends. */
  waitForLine(match: (line: string) => boolean, timeoutMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines.find(match);
        if (line !== undefined) return done(() => resolve(line));
        if (this.exited) {
          done(() => reject(new Error(`${this.description} exited: ${this.lines.join('\n')}`)));
        }
      };
      const timer = setTimeout(
        () =>
          done(() => reject(new Error(`${this.description}: no matching line in ${timeoutMs}ms`))),
        timeoutMs,
      );
      const done = (finish: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        finish();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Kills the process (it is ours) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }
}

/** A TCP and UDP echo server inside a namespace that records who it saw. */
export class LabServer {
  constructor(private readonly process: LabProcess) {}

  /** Every flow seen so far. */
  get seen(): SeenFlow[] {
    return this.process.lines
      .filter((l) => l.startsWith('{"proto"'))
      .map((l) => JSON.parse(l) as SeenFlow);
  }

  /** The flow that carried `token`, or undefined when none arrived. */
  flow(token: string): SeenFlow | undefined {
    return this.seen.find((f) => f.token === token);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

const SERVER_SCRIPT = `
const net = require('net'), dgram = require('dgram');
const [host, tcpPort, udpPort] = process.argv.slice(1);
const log = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
let pending = 2;
const ready = () => { if (--pending === 0) log({ ready: true }); };
net.createServer((s) => {
  s.on('error', () => {});
  s.once('data', (d) => {
    log({ proto: 'tcp', address: s.remoteAddress, port: s.remotePort, token: d.toString().trim() });
    s.end('natgw\\n');
  });
}).listen({ host, port: +tcpPort }, ready);
const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
u.on('message', (m, r) => {
  log({ proto: 'udp', address: r.address, port: r.port, token: m.toString().trim() });
  u.send('natgw\\n', r.port, r.address);
});
u.bind(+udpPort, host, ready);
`;

const PROBE_SCRIPT = `
const net = require('net'), dgram = require('dgram');
const [proto, host, port, token, timeoutMs, localPort] = process.argv.slice(1);
const finish = (o) => { process.stdout.write(JSON.stringify(o) + '\\n'); process.exit(0); };
setTimeout(() => finish({ ok: false, error: 'timeout' }), +timeoutMs);
const from = +localPort > 0 ? { localPort: +localPort } : {};
if (proto === 'tcp') {
  const s = net.connect({ host, port: +port, ...from }, () => s.write(token + '\\n'));
  s.on('data', () => finish({ ok: true }));
  s.on('error', (e) => finish({ ok: false, error: e.code || String(e) }));
} else {
  const u = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
  u.on('message', () => finish({ ok: true }));
  u.on('error', (e) => finish({ ok: false, error: e.code || String(e) }));
  u.bind(+localPort || 0, () => u.send(token + '\\n', +port, host));
}
`;

const PING_SCRIPT = `
import socket, struct, sys, json
dst, ident, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
v6 = ':' in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                  socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
def checksum(b):
    if len(b) % 2: b += b'\\0'
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
typ = 128 if v6 else 8
body = struct.pack('!BBHHH', typ, 0, 0, ident, 1) + b'natgw'
if not v6: body = struct.pack('!BBHHH', typ, 0, checksum(body), ident, 1) + b'natgw'
s.settimeout(timeout)
s.sendto(body, (dst, 0))
try:
    while True:
        d, a = s.recvfrom(2048)
        if not v6: d = d[(d[0] & 15) * 4:]
        t, _, _, i, _ = struct.unpack('!BBHHH', d[:8])
        if t in (0, 129) and i == ident:
            print(json.dumps({'ok': True})); break
except socket.timeout:
    print(json.dumps({'ok': False, 'error': 'timeout'}))
`;

const ECHO_SNIFFER_SCRIPT = `
import socket, struct, sys, json
v6 = sys.argv[1] == '6'
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                  socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
print(json.dumps({'ready': True}), flush=True)
while True:
    d, a = s.recvfrom(2048)
    if not v6: d = d[(d[0] & 15) * 4:]
    t, _, _, i, _ = struct.unpack('!BBHHH', d[:8])
    if t in (8, 128): print(json.dumps({'address': a[0], 'id': i}), flush=True)
`;

const live = new Set<NetnsLab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test process dies without running afterAll: namespaces outlive processes.
  process.once('exit', () => {
    for (const lab of live) lab.destroySync();
  });
}

/**
 * Network namespaces for one test run, named `natgw-<role>-<random>` so that parallel runs never
 * collide, and always removed by destroy() (call it in afterAll and on setup failure; a process
 * exit hook removes leftovers too). Processes started in the namespaces are killed first.
 */
export class NetnsLab {
  readonly id = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];
  private readonly processes = new Set<LabProcess>();

  constructor() {
    live.add(this);
    installExitHook();
  }

  /** Every namespace this lab created, in creation order. */
  get names(): readonly string[] {
    return this.namespaces;
  }

  /**
   * Creates a namespace with loopback up and IPv6 duplicate address detection off (addresses,
   * link-local ones included, are usable at once instead of after a second); returns its name.
   */
  async namespace(role: string): Promise<string> {
    const name = `natgw-${role}-${this.id}`;
    await this.ip(['netns', 'add', name]);
    this.namespaces.push(name);
    await this.ip(['-n', name, 'link', 'set', 'lo', 'up']);
    await this.sysctl(name, 'net.ipv6.conf.all.accept_dad', '0');
    await this.sysctl(name, 'net.ipv6.conf.default.accept_dad', '0');
    return name;
  }

  /** Runs `ip <args>`; throws with its stderr on failure. */
  async ip(args: readonly string[]): Promise<string> {
    const result = await run('ip', args);
    if (result.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Runs a command inside a namespace and returns whatever it did (no throw on exit codes). */
  exec(
    ns: string,
    command: string,
    args: readonly string[],
    options: { input?: string; timeoutMs?: number } = {},
  ): Promise<LabCommandResult> {
    return run('ip', ['netns', 'exec', ns, command, ...args], options.input, options.timeoutMs);
  }

  /** Writes a sysctl inside a namespace (`net.ipv4.ip_forward` style name). */
  async sysctl(ns: string, name: string, value: string): Promise<void> {
    const path = `/proc/sys/${name.replace(/\./g, '/')}`;
    const result = await this.exec(ns, 'sh', ['-c', `echo ${value} > ${path}`]);
    if (result.code !== 0) throw new Error(`sysctl ${name} in ${ns} failed: ${result.stderr}`);
  }

  /** Starts a long-running command inside a namespace; destroy() kills it. */
  start(ns: string, command: string, args: readonly string[]): LabProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new LabProcess(`${command} in ${ns}`, child);
    this.processes.add(proc);
    return proc;
  }

  /** Starts a TCP+UDP server on host:port in a namespace and waits until both listen. */
  async serve(ns: string, host: string, tcpPort: number, udpPort: number): Promise<LabServer> {
    const proc = this.start(ns, process.execPath, [
      '-e',
      SERVER_SCRIPT,
      host,
      String(tcpPort),
      String(udpPort),
    ]);
    await proc.waitForLine((l) => l.includes('"ready"'));
    return new LabServer(proc);
  }

  /**
   * From a namespace, sends `token` to host:port over TCP or UDP and waits for the server's reply
   * for at most timeoutMs; ok is false when nothing came back. `localPort` fixes the source port
   * (the kernel picks one when unset).
   */
  async probe(
    ns: string,
    proto: 'tcp' | 'udp',
    host: string,
    port: number,
    token: string,
    timeoutMs = 5_000,
    localPort = 0,
  ): Promise<ProbeResult> {
    const result = await this.exec(
      ns,
      process.execPath,
      ['-e', PROBE_SCRIPT, proto, host, String(port), token, String(timeoutMs), String(localPort)],
      { timeoutMs: timeoutMs + 10_000 },
    );
    const line = result.stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) return { ok: false, error: `probe failed: ${result.stderr.trim()}` };
    return JSON.parse(line) as ProbeResult;
  }

  /** Sends one ICMP echo request with identifier `id` and waits for the reply (python3, raw socket). */
  async ping(ns: string, host: string, id: number, timeoutMs = 5_000): Promise<ProbeResult> {
    const result = await this.exec(
      ns,
      'python3',
      ['-c', PING_SCRIPT, host, String(id), String(timeoutMs / 1000)],
      { timeoutMs: timeoutMs + 10_000 },
    );
    const line = result.stdout.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{')) return { ok: false, error: `ping failed: ${result.stderr.trim()}` };
    return JSON.parse(line) as ProbeResult;
  }

  /** Records every ICMP echo request arriving in a namespace, with its source and identifier. */
  async sniffEchoes(ns: string, family: 4 | 6): Promise<{ seen: () => SeenEcho[] }> {
    const proc = this.start(ns, 'python3', ['-c', ECHO_SNIFFER_SCRIPT, String(family)]);
    await proc.waitForLine((l) => l.includes('"ready"'));
    return {
      seen: () =>
        proc.lines.filter((l) => l.startsWith('{"address"')).map((l) => JSON.parse(l) as SeenEcho),
    };
  }

  /** Kills every process started here and deletes every namespace; safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all([...this.processes].map((p) => p.stop()));
    this.processes.clear();
    const errors: string[] = [];
    for (const name of this.namespaces.splice(0).reverse()) {
      const result = await run('ip', ['netns', 'del', name]);
      if (result.code !== 0) errors.push(`${name}: ${result.stderr.trim()}`);
    }
    live.delete(this);
    if (errors.length > 0) throw new Error(`could not delete namespaces: ${errors.join('; ')}`);
  }

  /** destroy() for a process that is exiting and cannot wait. */
  destroySync(): void {
    for (const proc of this.processes) {
      if (proc.pid !== undefined) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const name of this.namespaces.splice(0)) {
      spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
    live.delete(this);
  }
}

/** One private "VM" of the NAT topology. */
export interface TopologyVm {
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** The namespaces and addresses buildNatTopology made. */
export interface NatTopology {
  readonly lab: NetnsLab;
  /** Private VMs on one bridge in the gateway: 10.200.0.(2+i)/24 and fd00:200::(2+i)/64. */
  readonly vms: readonly TopologyVm[];
  /** The namespace natgw programs; forwarding on, bridge `br0`, uplink `up0`. */
  readonly gateway: { readonly ns: string; readonly uplink: string };
  /** The "internet": 198.51.100.2 and 2001:db8:ffff::2, routing the NAT prefixes to the gateway. */
  readonly internet: { readonly ns: string; readonly ipv4: string; readonly ipv6: string };
  /** Public prefixes the internet routes to the gateway (documentation ranges). */
  readonly natPrefix4: string;
  readonly natPrefix6: string;
}

/**
 * Links the gateway namespace to the "internet" namespace (uplink `up0`, 198.51.100.0/24 and
 * 2001:db8:ffff::/64), routes the NAT prefixes and the given private prefixes back through the
 * gateway, and turns on forwarding in the gateway.
 */
async function connectInternet(
  lab: NetnsLab,
  gateway: string,
  internet: string,
  privatePrefixes: readonly [string, string],
) {
  await lab.ip([
    'link',
    'add',
    'up0',
    'netns',
    gateway,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    internet,
  ]);
  await lab.ip(['-n', gateway, 'link', 'set', 'up0', 'up']);
  await lab.ip(['-n', internet, 'link', 'set', 'eth0', 'up']);
  await lab.ip(['-n', gateway, 'addr', 'add', '198.51.100.1/24', 'dev', 'up0']);
  await lab.ip(['-n', gateway, 'addr', 'add', '2001:db8:ffff::1/64', 'dev', 'up0', 'nodad']);
  await lab.ip(['-n', internet, 'addr', 'add', '198.51.100.2/24', 'dev', 'eth0']);
  await lab.ip(['-n', internet, 'addr', 'add', '2001:db8:ffff::2/64', 'dev', 'eth0', 'nodad']);
  const natPrefix4 = '203.0.113.0/24';
  const natPrefix6 = '2001:db8:100::/64';
  for (const prefix of [natPrefix4, privatePrefixes[0]]) {
    await lab.ip(['-n', internet, 'route', 'add', prefix, 'via', '198.51.100.1']);
  }
  for (const prefix of [natPrefix6, privatePrefixes[1]]) {
    await lab.ip(['-n', internet, '-6', 'route', 'add', prefix, 'via', '2001:db8:ffff::1']);
  }
  await lab.sysctl(gateway, 'net.ipv4.ip_forward', '1');
  await lab.sysctl(gateway, 'net.ipv6.conf.all.forwarding', '1');
  return {
    name: 'up0',
    internet: { ns: internet, ipv4: '198.51.100.2', ipv6: '2001:db8:ffff::2' },
    natPrefix4,
    natPrefix6,
  };
}

/**
 * Builds: `vms` private namespaces -> a gateway namespace (bridge br0 10.200.0.1/24 and
 * fd00:200::1/64, uplink up0 198.51.100.1/24 and 2001:db8:ffff::1/64, forwarding on) -> an
 * internet namespace that routes the NAT prefixes 203.0.113.0/24 and 2001:db8:100::/64 to the
 * gateway. The internet also routes the private prefixes to the gateway, as a hostile neighbour
 * could, so that only the gateway's filter stops unsolicited traffic to the VMs. On failure the
 * partial topology is removed before the error is thrown.
 */
export async function buildNatTopology(vmCount = 2): Promise<NatTopology> {
  const lab = new NetnsLab();
  try {
    const gateway = await lab.namespace('gw');
    const internet = await lab.namespace('inet');
    // Without a multicast querier, a snooping bridge may drop the first neighbour solicitations.
    await lab.ip(['-n', gateway, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await lab.ip(['-n', gateway, 'link', 'set', 'br0', 'up']);
    await lab.ip(['-n', gateway, 'addr', 'add', '10.200.0.1/24', 'dev', 'br0']);
    await lab.ip(['-n', gateway, 'addr', 'add', 'fd00:200::1/64', 'dev', 'br0', 'nodad']);
    const vms: TopologyVm[] = [];
    for (let i = 0; i < vmCount; i += 1) {
      const ns = await lab.namespace(`vm${i + 1}`);
      const port = `vm${i + 1}`;
      await lab.ip([
        'link',
        'add',
        'eth0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        port,
        'netns',
        gateway,
      ]);
      await lab.ip(['-n', gateway, 'link', 'set', port, 'master', 'br0', 'up']);
      await lab.ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      const vm = { ns, ipv4: `10.200.0.${2 + i}`, ipv6: `fd00:200::${2 + i}` };
      await lab.ip(['-n', ns, 'addr', 'add', `${vm.ipv4}/24`, 'dev', 'eth0']);
      await lab.ip(['-n', ns, 'addr', 'add', `${vm.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      await lab.ip(['-n', ns, 'route', 'add', 'default', 'via', '10.200.0.1']);
      await lab.ip(['-n', ns, '-6', 'route', 'add', 'default', 'via', 'fd00:200::1']);
      vms.push(vm);
    }
    const uplink = await connectInternet(lab, gateway, internet, [
      '10.200.0.0/24',
      'fd00:200::/64',
    ]);
    return {
      lab,
      vms,
      gateway: { ns: gateway, uplink: uplink.name },
      internet: uplink.internet,
      natPrefix4: uplink.natPrefix4,
      natPrefix6: uplink.natPrefix6,
    };
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
}

/** One tenant network of buildNetworkTopology: a VM behind the network's own interface. */
export interface TopologyNetwork {
  readonly vni: number;
  /** The network's interface in the gateway namespace (the template with the vni). */
  readonly ifname: string;
  /** The VM: every network's VM has the same addresses. */
  readonly vm: TopologyVm;
}

/** The namespaces and addresses buildNetworkTopology made. */
export interface NetworkTopology extends Omit<NatTopology, 'vms'> {
  readonly networks: readonly TopologyNetwork[];
  /** The gateway address every network interface carries: 10.77.0.1/24 and fd77::1/64. */
  readonly gatewayIpv4: string;
  readonly gatewayIpv6: string;
}

/**
 * Builds tenant networks that reuse one private range, as an operator sets up a node for natgw's
 * network mode (DATAPLANE_NETWORK_INTERFACE): per network, a VM namespace with 10.77.0.2/24 and
 * fd77::2/64 (the SAME in every network) whose veth peer in the gateway namespace is named by
 * `template` with the network's vni and carries the SAME gateway address 10.77.0.1/24 and
 * fd77::1/64. The gateway has forwarding on and rp_filter off (several interfaces hold one
 * prefix), uplink `up0` toward an internet namespace that routes the NAT prefixes (and, as a
 * hostile neighbour could, the private prefixes) to the gateway. On failure the partial
 * topology is removed before the error is thrown.
 */
export async function buildNetworkTopology(
  vnis: readonly number[],
  template = 'vni{vni}',
): Promise<NetworkTopology> {
  const lab = new NetnsLab();
  try {
    const gateway = await lab.namespace('gw');
    const internet = await lab.namespace('inet');
    for (const name of ['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter']) {
      await lab.sysctl(gateway, name, '0');
    }
    const networks: TopologyNetwork[] = [];
    for (const vni of vnis) {
      const ns = await lab.namespace(`vm${vni}`);
      const ifname = template.replace('{vni}', String(vni));
      await lab.ip([
        'link',
        'add',
        'eth0',
        'netns',
        ns,
        'type',
        'veth',
        'peer',
        'name',
        ifname,
        'netns',
        gateway,
      ]);
      await lab.ip(['-n', gateway, 'link', 'set', ifname, 'up']);
      await lab.ip(['-n', gateway, 'addr', 'add', '10.77.0.1/24', 'dev', ifname]);
      await lab.ip(['-n', gateway, 'addr', 'add', 'fd77::1/64', 'dev', ifname, 'nodad']);
      await lab.ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      const vm = { ns, ipv4: '10.77.0.2', ipv6: 'fd77::2' };
      await lab.ip(['-n', ns, 'addr', 'add', `${vm.ipv4}/24`, 'dev', 'eth0']);
      await lab.ip(['-n', ns, 'addr', 'add', `${vm.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      await lab.ip(['-n', ns, 'route', 'add', 'default', 'via', '10.77.0.1']);
      await lab.ip(['-n', ns, '-6', 'route', 'add', 'default', 'via', 'fd77::1']);
      networks.push({ vni, ifname, vm });
    }
    const uplink = await connectInternet(lab, gateway, internet, ['10.77.0.0/24', 'fd77::/64']);
    return {
      lab,
      networks,
      gateway: { ns: gateway, uplink: uplink.name },
      internet: uplink.internet,
      natPrefix4: uplink.natPrefix4,
      natPrefix6: uplink.natPrefix6,
      gatewayIpv4: '10.77.0.1',
      gatewayIpv6: 'fd77::1',
    };
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
}
