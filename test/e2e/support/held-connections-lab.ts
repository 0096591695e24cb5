import {
  assertNetnsPrerequisites,
  buildNatTopology,
  holdConnections,
  LabProcess,
  NatTopology,
  serveHeldConnections,
  ServiceProcess,
} from '@natgw/testing';
import { http, manifests, NatgwSystem } from './natgw-system';

/**
 * The lab of the specs that fill NAT slots with real connections: one VM (`vm1`, NIC `vm1` on
 * network `net`) behind the gateway namespace, an "internet" namespace that holds every TCP
 * connection open, and the whole system with an nftables executor that counts port usage every
 * second. The specs create their own NATGateway.
 */
export class HeldConnectionsLab {
  private readonly clients: LabProcess[] = [];

  private constructor(
    readonly topo: NatTopology,
    readonly system: NatgwSystem,
    readonly executor: ServiceProcess,
    private readonly holdPort: number,
  ) {}

  static async start(
    label: string,
    ports: { tcp: number; udp: number },
    executorEnv: Record<string, string> = {},
  ): Promise<HeldConnectionsLab> {
    assertNetnsPrerequisites();
    const topo = await buildNatTopology(1);
    let system: NatgwSystem | undefined;
    try {
      await serveHeldConnections(
        topo.lab,
        topo.internet.ns,
        topo.internet.ipv4,
        ports.tcp,
        ports.udp,
      );
      system = await NatgwSystem.create(label, {
        PUBLIC_PREFIXES: '203.0.113.0/28',
        RECONCILE_INTERVAL_SECONDS: '1',
      });
      const executor = await system.startOnGateway(topo.gateway, {
        PORT_USAGE_INTERVAL_SECONDS: '1',
        PORT_USAGE_REPORT_SECONDS: '1',
        ...executorEnv,
      });
      const base = await system.api('default');
      await http('POST', `${base}/networks`, manifests.network('net'));
      await http(
        'POST',
        `${base}/networkinterfaces`,
        manifests.nic('vm1', 'net', [topo.vms[0].ipv4]),
      );
      return new HeldConnectionsLab(topo, system, executor, ports.tcp);
    } catch (err) {
      await system?.destroy();
      await topo.lab.destroy();
      throw err;
    }
  }

  /** The API base of namespace `default`. */
  api(): Promise<string> {
    return this.system.api('default');
  }

  /** Opens `count` more TCP connections from vm1 to the internet and keeps them open. */
  async hold(count: number): Promise<{ opened: number; failed: number }> {
    const held = await holdConnections(
      this.topo.lab,
      this.topo.vms[0].ns,
      this.topo.internet.ipv4,
      this.holdPort,
      count,
    );
    this.clients.push(held.process);
    return { opened: held.opened, failed: held.failed };
  }

  /** Closes every connection held so far. */
  async release(): Promise<void> {
    for (const c of this.clients.splice(0)) await c.stop();
  }

  async destroy(): Promise<void> {
    await this.release();
    await this.system.destroy();
    await this.topo.lab.destroy();
  }
}
