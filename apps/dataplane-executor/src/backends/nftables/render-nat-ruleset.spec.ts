import { type NatRule, sortNatRules } from '@natgw/domain';
import { renderNatRuleset, renderRemoveTable } from './render-nat-ruleset';

const rules: NatRule[] = sortNatRules([
  {
    nicUid: 'nic-1',
    nicName: 'vm1 nic',
    gatewayUid: 'gw-1',
    family: 'IPv4',
    privateIp: '10.0.0.2',
    natIp: '203.0.113.1',
    port: 1024,
    endPort: 2047,
  },
  {
    nicUid: 'nic-2',
    gatewayUid: 'gw-1',
    family: 'IPv4',
    privateIp: '10.0.0.3',
    natIp: '203.0.113.1',
    port: 2048,
    endPort: 3071,
  },
  {
    nicUid: 'nic-1',
    gatewayUid: 'gw-6',
    family: 'IPv6',
    privateIp: 'fd00::2',
    natIp: '2001:db8::1',
    port: 1024,
    endPort: 2047,
  },
  {
    nicUid: 'nic-3',
    gatewayUid: 'gw-6',
    family: 'IPv6',
    privateIp: 'fd00::3',
    natIp: '2001:db8::1',
    port: 2048,
    endPort: 3071,
  },
  {
    nicUid: 'nic-4',
    gatewayUid: 'gw-6',
    family: 'IPv6',
    privateIp: 'fd00::4',
    natIp: '2001:db8::2',
    port: 1024,
    endPort: 2047,
  },
]);

describe('renderNatRuleset', () => {
  it('renders the whole table as one delete-and-define transaction', () => {
    expect(renderNatRuleset(rules, { table: 'natgw', uplinks: ['eth0', 'eth1'] })).toBe(
      `table inet natgw
delete table inet natgw
table inet natgw {
	comment "managed by natgw; hand edits are reverted"
	set uplinks {
		type ifname
		elements = {
			"eth0",
			"eth1"
		}
	}
	set nics4 {
		type ipv4_addr
		elements = {
			10.0.0.2,
			10.0.0.3
		}
	}
	set nics6 {
		type ipv6_addr
		elements = {
			fd00::2,
			fd00::3,
			fd00::4
		}
	}
	set natips4 {
		type ipv4_addr
		elements = {
			203.0.113.1
		}
	}
	set natips6 {
		type ipv6_addr
		elements = {
			2001:db8::1,
			2001:db8::2
		}
	}
	map snat4 {
		type ipv4_addr : interval ipv4_addr . inet_service
		elements = {
			10.0.0.2 comment "nic=nic-1 gw=gw-1 name=vm1%20nic" : 203.0.113.1 . 1024-2047,
			10.0.0.3 comment "nic=nic-2 gw=gw-1" : 203.0.113.1 . 2048-3071
		}
	}
	map natip6 {
		type ipv6_addr : ipv6_addr
		elements = {
			fd00::2 : 2001:db8::1,
			fd00::3 : 2001:db8::1,
			fd00::4 : 2001:db8::2
		}
	}
	map snat6 {
		type ipv6_addr : verdict
		elements = {
			fd00::2 comment "nic=nic-1 gw=gw-6" : jump snat6-1024-2047,
			fd00::3 comment "nic=nic-3 gw=gw-6" : jump snat6-2048-3071,
			fd00::4 comment "nic=nic-4 gw=gw-6" : jump snat6-1024-2047
		}
	}
	chain snat6-1024-2047 {
		meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @natip6 : 1024-2047
	}
	chain snat6-2048-3071 {
		meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @natip6 : 2048-3071
	}
	chain prerouting {
		type filter hook prerouting priority mangle; policy accept;
		iifname @uplinks ip daddr @natips4 ct state != { established, related } drop
		iifname @uplinks ip6 daddr @natips6 ct state != { established, related } drop
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname @uplinks ip daddr @nics4 ct state != { established, related } drop
		iifname @uplinks ip6 daddr @nics6 ct state != { established, related } drop
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname @uplinks meta l4proto { tcp, udp, icmp } snat ip to ip saddr map @snat4
		oifname @uplinks ip6 saddr vmap @snat6
	}
	chain leakguard {
		type filter hook postrouting priority srcnat + 10; policy accept;
		oifname @uplinks ip saddr @nics4 drop
		oifname @uplinks ip6 saddr @nics6 drop
	}
}
`,
    );
  });

  it('renders an empty table with the filter in place and no elements', () => {
    const text = renderNatRuleset([], { table: 'natgw', uplinks: ['eth0'] });
    expect(text).toContain('\tset nics4 {\n\t\ttype ipv4_addr\n\t}');
    expect(text).toContain('\tmap snat6 {\n\t\ttype ipv6_addr : verdict\n\t}');
    expect(text).not.toContain('chain snat6-');
    expect(text).toContain('chain forward {');
  });

  it('removes the table whether or not it exists', () => {
    expect(renderRemoveTable('natgw')).toBe('table inet natgw\ndelete table inet natgw\n');
  });
});
