// What the rendered ruleset means, read back from its text and compared with expectations
// derived from the rules by docs/dataplane.md ("What natgw owns"), not with a copy of the
// renderer's output: every NIC is an element of the right set and map with its own NAT IP and
// port range (slot edges included), every IPv6 range has its chain, and the fixed chains hook
// where the docs say.
import { type NatRule, sortNatRules } from '@natgw/domain';
import { decodeNatElementComment } from './nat-element-comment';
import { renderNatRuleset } from './render-nat-ruleset';

interface Block {
  kind: 'set' | 'map' | 'chain';
  name: string;
  type?: string;
  elements: string[];
  /** A chain's lines after its hook line. */
  lines: string[];
  hook?: string;
}

/** Reads the `table inet <name> { ... }` definition of rendered text into its blocks. */
function readTable(
  text: string,
  table: string,
): { preamble: string[]; blocks: Map<string, Block> } {
  const lines = text.split('\n').map((line) => line.trim());
  const start = lines.indexOf(`table inet ${table} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  const blocks = new Map<string, Block>();
  let block: Block | undefined;
  let inElements = false;
  for (const line of lines.slice(start + 1)) {
    const open = /^(set|map|chain) (\S+) \{$/.exec(line);
    if (open) {
      block = { kind: open[1] as Block['kind'], name: open[2] as string, elements: [], lines: [] };
      blocks.set(block.name, block);
    } else if (block === undefined || line === '' || line.startsWith('comment ')) {
      continue;
    } else if (line === 'elements = {') {
      inElements = true;
    } else if (line === '}') {
      if (inElements) inElements = false;
      else block = undefined;
    } else if (inElements) {
      block.elements.push(line.replace(/,$/, ''));
    } else if (line.startsWith('type ') && block.kind !== 'chain') {
      block.type = line.slice('type '.length);
    } else if (block.kind === 'chain' && / hook /.test(line)) {
      block.hook = line;
    } else {
      block.lines.push(line);
    }
  }
  return { preamble: lines.slice(0, start), blocks };
}

const rules: NatRule[] = [
  // IPv4: neighbouring one-port slots at both ends of the port space, and a wide one.
  {
    nicUid: 'nic-1',
    nicName: 'vm1 nic',
    gatewayUid: 'gw-4',
    family: 'IPv4',
    privateIp: '10.0.0.2',
    natIp: '203.0.113.1',
    port: 1024,
    endPort: 1024,
  },
  {
    nicUid: 'nic-2',
    gatewayUid: 'gw-4',
    family: 'IPv4',
    privateIp: '10.0.0.3',
    natIp: '203.0.113.1',
    port: 65535,
    endPort: 65535,
  },
  {
    nicUid: 'nic-3',
    gatewayUid: 'gw-4',
    family: 'IPv4',
    privateIp: '10.0.0.4',
    natIp: '203.0.113.2',
    port: 1024,
    endPort: 33791,
  },
  // IPv6: two NICs share one range on two NAT IPs, a third has a range of its own.
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
    nicUid: 'nic-4',
    gatewayUid: 'gw-6',
    family: 'IPv6',
    privateIp: 'fd00::4',
    natIp: '2001:db8::2',
    port: 1024,
    endPort: 2047,
  },
  {
    nicUid: 'nic-5',
    gatewayUid: 'gw-6',
    family: 'IPv6',
    privateIp: 'fd00::5',
    natIp: '2001:db8::1',
    port: 65534,
    endPort: 65535,
  },
];

const v4 = rules.filter((r) => r.family === 'IPv4');
const v6 = rules.filter((r) => r.family === 'IPv6');
const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

describe('renderNatRuleset, read back by meaning', () => {
  const text = renderNatRuleset(sortNatRules(rules), { table: 'natgw', uplinks: ['eth0', 'eth1'] });
  const { preamble, blocks } = readTable(text, 'natgw');
  const block = (name: string): Block => {
    const found = blocks.get(name);
    if (found === undefined) throw new Error(`no ${name} in the rendered table`);
    return found;
  };

  it('replaces the whole table in one transaction: create if missing, delete, define', () => {
    expect(preamble).toEqual(['table inet natgw', 'delete table inet natgw']);
  });

  it('lists the uplinks, every private address and every NAT IP in their sets', () => {
    expect(block('uplinks')).toMatchObject({ kind: 'set', type: 'ifname' });
    expect(sorted(block('uplinks').elements)).toEqual(['"eth0"', '"eth1"']);
    expect(block('nics4')).toMatchObject({ kind: 'set', type: 'ipv4_addr' });
    expect(sorted(block('nics4').elements)).toEqual(sorted(v4.map((r) => r.privateIp)));
    expect(block('nics6')).toMatchObject({ kind: 'set', type: 'ipv6_addr' });
    expect(sorted(block('nics6').elements)).toEqual(sorted(v6.map((r) => r.privateIp)));
    expect(sorted(block('natips4').elements)).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(sorted(block('natips6').elements)).toEqual(['2001:db8::1', '2001:db8::2']);
  });

  it('maps each private IPv4 address to its NAT IP and exact port range, labelled with its NIC', () => {
    expect(block('snat4')).toMatchObject({
      kind: 'map',
      type: 'ipv4_addr : interval ipv4_addr . inet_service',
    });
    const read = block('snat4').elements.map((element) => {
      const m = /^(\S+) comment "([^"]*)" : (\S+) \. (\d+)-(\d+)$/.exec(element);
      if (!m) throw new Error(`unexpected snat4 element ${element}`);
      return {
        privateIp: m[1],
        ...decodeNatElementComment(m[2] as string),
        natIp: m[3],
        port: Number(m[4]),
        endPort: Number(m[5]),
      };
    });
    const expected = v4.map(({ family: _family, ...rule }) => rule);
    expect(read.sort((a, b) => String(a.privateIp).localeCompare(String(b.privateIp)))).toEqual(
      expected.sort((a, b) => a.privateIp.localeCompare(b.privateIp)),
    );
  });

  it('sends each private IPv6 address to its NAT IP and to the chain of its own port range', () => {
    expect(block('natip6')).toMatchObject({ kind: 'map', type: 'ipv6_addr : ipv6_addr' });
    expect(sorted(block('natip6').elements)).toEqual(
      sorted(v6.map((r) => `${r.privateIp} : ${r.natIp}`)),
    );
    expect(block('snat6')).toMatchObject({ kind: 'map', type: 'ipv6_addr : verdict' });
    const jumps = block('snat6').elements.map((element) => {
      const m = /^(\S+) comment "([^"]*)" : jump (\S+)$/.exec(element);
      if (!m) throw new Error(`unexpected snat6 element ${element}`);
      const chain = block(m[3] as string);
      expect(chain.kind).toBe('chain');
      expect(chain.hook).toBeUndefined();
      expect(chain.lines).toHaveLength(1);
      const range = /snat ip6 to ip6 saddr map @natip6 : (\d+)-(\d+)$/.exec(
        chain.lines[0] as string,
      );
      return {
        privateIp: m[1],
        ...decodeNatElementComment(m[2] as string),
        port: Number(range?.[1]),
        endPort: Number(range?.[2]),
      };
    });
    expect(jumps.sort((a, b) => String(a.privateIp).localeCompare(String(b.privateIp)))).toEqual(
      v6
        .map(({ nicUid, gatewayUid, privateIp, port, endPort }) => ({
          nicUid,
          gatewayUid,
          privateIp,
          port,
          endPort,
        }))
        .sort((a, b) => a.privateIp.localeCompare(b.privateIp)),
    );
    // One chain per distinct IPv6 range, none for IPv4 ranges.
    const rangeChains = [...blocks.values()].filter(
      (b) => b.kind === 'chain' && b.hook === undefined,
    );
    expect(rangeChains).toHaveLength(new Set(v6.map((r) => `${r.port}-${r.endPort}`)).size);
  });

  it('hooks the fixed chains where docs/dataplane.md says, with the filter before conntrack', () => {
    const hooks = Object.fromEntries(
      [...blocks.values()].filter((b) => b.hook !== undefined).map((b) => [b.name, b.hook]),
    );
    expect(hooks).toEqual({
      prerouting: 'type filter hook prerouting priority mangle; policy accept;',
      forward: 'type filter hook forward priority filter; policy accept;',
      postrouting: 'type nat hook postrouting priority srcnat; policy accept;',
      leakguard: 'type filter hook postrouting priority srcnat + 10; policy accept;',
    });
    // Unsolicited traffic from the uplinks to NAT IPs and NICs is dropped; NICs' traffic leaves
    // only translated.
    expect(block('prerouting').lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^iifname @uplinks ip daddr @natips4 .*drop$/),
      ]),
    );
    expect(block('forward').lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^iifname @uplinks ip6 daddr @nics6 .*drop$/)]),
    );
    expect(block('postrouting').lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/snat ip to ip saddr map @snat4$/),
        'oifname @uplinks ip6 saddr vmap @snat6',
      ]),
    );
    expect(block('leakguard').lines).toEqual([
      'oifname @uplinks ip saddr @nics4 drop',
      'oifname @uplinks ip6 saddr @nics6 drop',
    ]);
  });
});
