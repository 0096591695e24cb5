import { PrivateNatsServer } from './nats-server';
import { freePort } from './service-process';

/**
 * A JetStream cluster of private nats-servers on loopback (client and route ports free,
 * stores in their own temporary directories), for tests that kill and restart nodes.
 */
export class PrivateNatsCluster {
  private constructor(
    readonly nodes: PrivateNatsServer[],
    readonly names: string[],
  ) {}

  /** Starts `size` servers (default 3) named n1..nN that route to each other. */
  static async start(size = 3, clusterName = 'natgw-test'): Promise<PrivateNatsCluster> {
    const routePorts: number[] = [];
    while (routePorts.length < size) {
      const port = await freePort();
      if (!routePorts.includes(port)) routePorts.push(port);
    }
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
    const names = routePorts.map((_, i) => `n${i + 1}`);
    // Started together: a JetStream cluster elects its meta leader once a quorum is up.
    const nodes = await Promise.all(
      routePorts.map((routePort, i) =>
        PrivateNatsServer.start({
          config: [
            `server_name: ${names[i]}`,
            'listen: 127.0.0.1:4222',
            'jetstream {',
            '  store_dir: "/tmp"',
            '}',
            'cluster {',
            `  name: ${clusterName}`,
            `  listen: 127.0.0.1:${routePort}`,
            `  routes: [ ${routes} ]`,
            '}',
          ].join('\n'),
        }),
      ),
    );
    return new PrivateNatsCluster(nodes, names);
  }

  /** NATS_URL of the whole cluster: every node, comma-separated. */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  /** The node with this server name (`n1`...). */
  node(name: string): PrivateNatsServer {
    const i = this.names.indexOf(name);
    if (i < 0) throw new Error(`no node named ${name} (nodes: ${this.names.join(', ')})`);
    return this.nodes[i];
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}
