import { connectInternet, type InternetSide, NetnsLab } from './netns';

/** One tenant network of the topology: its VM and the gateway's interface toward it. */
export interface TenantNetwork {
  readonly vni: number;
  /** The gateway's interface for the network (the DATAPLANE_NETWORK_INTERFACE template's name). */
  readonly ifname: string;
  /** The VM's namespace; every network's VM has the same addresses. */
  readonly ns: string;
  readonly ipv4: string;
  readonly ipv6: string;
}

/** The namespaces and addresses buildMultiNetworkTopology made. */
export interface MultiNetworkTopology extends InternetSide {
  readonly lab: NetnsLab;
  readonly networks: readonly TenantNetwork[];
  /** The namespace natgw programs; forwarding on, uplink `up0`. */
  readonly gateway: { readonly ns: string; readonly uplink: string };
  /** The private prefixes every network uses (10.200.0.0/24, fd00:200::/64). */
  readonly private4: string;
  readonly private6: string;
}

/** The interface name a DATAPLANE_NETWORK_INTERFACE template gives a VNI. */
export function networkInterfaceName(template: string, vni: number): string {
  return template.split('{vni}').join(String(vni));
}

/**
 * Builds what an operator sets up for natgw's network mode, one tenant network per VNI: a VM
 * namespace (10.200.0.2/24 and fd00:200::2/64 in every network, default routes via .1 and ::1)
 * joined by a veth to the gateway namespace, where the interface is named by `template` and
 * carries the network's gateway addresses 10.200.0.1/24 and fd00:200::1/64 (the same on every
 * network's interface); then an internet namespace behind the uplink `up0` (connectInternet),
 * which also routes the private prefixes to the gateway, as a hostile neighbour could. Reverse
 * path filtering is off in the gateway (one prefix sits on several interfaces). Everything else
 * (NAT, conntrack zones, marks, policy routing) is natgw's to program. On failure the partial
 * topology is removed before the error is thrown.
 */
export async function buildMultiNetworkTopology(
  vnis: readonly number[],
  template = 'vni{vni}',
): Promise<MultiNetworkTopology> {
  const lab = new NetnsLab();
  try {
    const gateway = await lab.namespace('gw');
    for (const scope of ['all', 'default'])
      await lab.sysctl(gateway, `net.ipv4.conf.${scope}.rp_filter`, '0');
    const networks: TenantNetwork[] = [];
    for (const vni of vnis) {
      const ns = await lab.namespace(`vni${vni}`);
      const ifname = networkInterfaceName(template, vni);
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
      await lab.sysctl(gateway, `net.ipv4.conf.${ifname}.rp_filter`, '0');
      await lab.ip(['-n', gateway, 'link', 'set', ifname, 'up']);
      await lab.ip(['-n', gateway, 'addr', 'add', '10.200.0.1/24', 'dev', ifname]);
      await lab.ip(['-n', gateway, 'addr', 'add', 'fd00:200::1/64', 'dev', ifname, 'nodad']);
      await lab.ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      const network = { vni, ifname, ns, ipv4: '10.200.0.2', ipv6: 'fd00:200::2' };
      await lab.ip(['-n', ns, 'addr', 'add', `${network.ipv4}/24`, 'dev', 'eth0']);
      await lab.ip(['-n', ns, 'addr', 'add', `${network.ipv6}/64`, 'dev', 'eth0', 'nodad']);
      await lab.ip(['-n', ns, 'route', 'add', 'default', 'via', '10.200.0.1']);
      await lab.ip(['-n', ns, '-6', 'route', 'add', 'default', 'via', 'fd00:200::1']);
      networks.push(network);
    }
    const private4 = '10.200.0.0/24';
    const private6 = 'fd00:200::/64';
    const internetSide = await connectInternet(lab, gateway, [private4], [private6]);
    return {
      lab,
      networks,
      gateway: { ns: gateway, uplink: 'up0' },
      private4,
      private6,
      ...internetSide,
    };
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
}
