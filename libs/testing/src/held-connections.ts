import type { LabProcess, NetnsLab } from './netns';

/** Accepts TCP connections and keeps them open; answers UDP datagrams with `ok`. */
const HOLD_SERVER = `
const net = require('net'), dgram = require('dgram');
const [host, port, udpPort] = process.argv.slice(1);
const held = [];
let pending = 2;
const ready = () => { if (--pending === 0) console.log(JSON.stringify({ ready: true })); };
net.createServer((s) => { s.on('error', () => {}); held.push(s); }).listen({ host, port: +port }, ready);
const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
u.on('message', (m, r) => u.send('ok', r.port, r.address));
u.bind(+udpPort, host, ready);
`;

/** Opens `count` TCP connections one after the other and keeps them; reports each outcome. */
const HOLD_CLIENT = `
const net = require('net');
const [host, port, count] = process.argv.slice(1);
const held = [];
(async () => {
  for (let i = 0; i < +count; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host, port: +port });
      const t = setTimeout(() => { s.destroy(); resolve(false); }, 2000);
      s.on('connect', () => { clearTimeout(t); held.push(s); resolve(true); });
      s.on('error', () => { clearTimeout(t); resolve(false); });
    });
    console.log(JSON.stringify(ok ? { opened: i } : { failed: i }));
  }
  console.log(JSON.stringify({ done: true }));
})();
`;

/**
 * Starts a server in `ns` that accepts TCP connections on host:tcpPort and never closes them
 * (and answers UDP on udpPort), for tests that fill NAT slots; destroy() of the lab stops it.
 */
export async function serveHeldConnections(
  lab: NetnsLab,
  ns: string,
  host: string,
  tcpPort: number,
  udpPort: number,
): Promise<LabProcess> {
  const proc = lab.start(ns, process.execPath, [
    '-e',
    HOLD_SERVER,
    host,
    String(tcpPort),
    String(udpPort),
  ]);
  await proc.waitForLine((l) => l.includes('"ready"'));
  return proc;
}

/**
 * From `ns`, opens `count` TCP connections to host:port one after the other (2 s each at
 * most) and keeps them open until the returned process is stopped. Resolves when all were
 * tried, with how many opened and how many failed.
 */
export async function holdConnections(
  lab: NetnsLab,
  ns: string,
  host: string,
  port: number,
  count: number,
): Promise<{ process: LabProcess; opened: number; failed: number }> {
  const proc = lab.start(ns, process.execPath, [
    '-e',
    HOLD_CLIENT,
    host,
    String(port),
    String(count),
  ]);
  await proc.waitForLine((l) => l.includes('"done"'), 30_000);
  return {
    process: proc,
    opened: proc.lines.filter((l) => l.includes('"opened"')).length,
    failed: proc.lines.filter((l) => l.includes('"failed"')).length,
  };
}
