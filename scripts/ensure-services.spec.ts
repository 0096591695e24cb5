// NATS_URL may list several servers (how a cluster is named): `npm start` accepts the
// list, is satisfied when any server answers, and never starts a local server for a list.
import * as net from 'node:net';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureNats, natsServers } = require('./ensure-services') as {
  ensureNats(url: string, log: (m: string) => void): Promise<void>;
  natsServers(url: string): Array<{ url: string; host: string; port: number }>;
};

/** A port nothing listens on (bound, read, closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('natsServers', () => {
  it('splits a comma-separated NATS_URL into servers, with default ports and TLS', () => {
    expect(natsServers('nats://a:4222, tls://user:pw@b ,nats://10.0.0.3:5222')).toEqual([
      { url: 'nats://a:4222', host: 'a', port: 4222 },
      { url: 'tls://user:pw@b', host: 'b', port: 4222 },
      { url: 'nats://10.0.0.3:5222', host: '10.0.0.3', port: 5222 },
    ]);
  });

  it('names the entry that is not a URL, and refuses an empty list', () => {
    expect(() => natsServers('nats://a:4222,::')).toThrow('NATS_URL: "::" is not a nats://');
    expect(() => natsServers(' , ')).toThrow('NATS_URL names no server');
  });
});

describe('ensureNats with a list', () => {
  it('is satisfied when any server of the list answers', async () => {
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const up = (server.address() as net.AddressInfo).port;
    const down = await closedPort();
    const logged: string[] = [];
    try {
      await ensureNats(`nats://127.0.0.1:${down},nats://127.0.0.1:${up}`, (m) => logged.push(m));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(logged).toEqual([]);
  });

  it('starts nothing for a list none of whose servers answers, and says so', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const logged: string[] = [];
    await expect(
      ensureNats(`nats://127.0.0.1:${a},nats://127.0.0.1:${b}`, (m) => logged.push(m)),
    ).rejects.toThrow(
      `no server of the NATS cluster nats://127.0.0.1:${a},nats://127.0.0.1:${b} answers`,
    );
    expect(logged).toEqual([]);
  });
});
