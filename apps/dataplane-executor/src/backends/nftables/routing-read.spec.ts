import { DataplaneReadError } from '../dataplane-errors';
import type { NftResult } from './nft-runner';
import {
  ROUTING_READ,
  interfaceNames,
  listInterfaces,
  parseFamilyRouting,
  readFamilyRouting,
  routingDump,
} from './routing-read';

// Lines as `ip -4 -j -br -batch -` of ROUTING_READ prints them (iproute2 6.1).
const links =
  '[{"ifname":"lo","operstate":"UNKNOWN","address":"00:00:00:00:00:00","flags":["LOOPBACK","UP","LOWER_UP"]},' +
  '{"link":"eth0","ifname":"vni100","operstate":"UP","address":"5a:32:bc:23:4e:f2","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"]}]';
const rules =
  '[{"priority":0,"src":"all","table":"local"},{"priority":5200,"src":"all","dst":"240.0.0.0","dstlen":16,"table":"7000000"}]';
const routes = '[{"dst":"240.0.0.1","dev":"vni100","scope":"link","flags":[]}]';
const ok = (stdout: string): NftResult => ({ code: 0, stdout, stderr: '' });

describe('routing read (one ip process per family)', () => {
  it('asks for the interfaces first, so that ip resolves route devices from its cache', () => {
    expect(ROUTING_READ).toBe('link show\nrule show\nroute show table 7000000\n');
  });

  it('splits the three listings of a batch, one JSON array a line', () => {
    expect(parseFamilyRouting(ok(`${links}\n${rules}\n${routes}\n`))).toEqual({
      links: JSON.parse(links),
      rules: JSON.parse(rules),
      routes: JSON.parse(routes),
    });
  });

  it('takes a missing table, where ip stops the batch there, as an empty table', () => {
    const read = parseFamilyRouting({
      code: 1,
      stdout: `${links}\n${rules}\n[`,
      stderr: 'Error: ipv6: FIB table does not exist.\nDump terminated\nCommand failed -:3\n',
    });
    expect(read).toEqual({ links: JSON.parse(links), rules: JSON.parse(rules), routes: [] });
  });

  it('reports a failed batch with what ip said, and a short or garbled output', () => {
    expect(
      parseFamilyRouting({ code: 1, stdout: '', stderr: 'Cannot open network namespace "gw"\n' }),
    ).toBe('Cannot open network namespace "gw"');
    expect(parseFamilyRouting({ code: 2, stdout: '', stderr: '' })).toBe('exit 2');
    expect(parseFamilyRouting(ok(`${links}\n${rules}\n`))).toBe(
      'ip -j -batch printed 2 of 3 JSON listings',
    );
    expect(parseFamilyRouting(ok(`${links}\n{"a":1}\n${routes}\n`))).toBe(
      'ip -j -batch printed 3 of 3 JSON listings',
    );
  });

  it('names the interfaces and skips entries without a name', () => {
    expect([...interfaceNames(JSON.parse(links))]).toEqual(['lo', 'vni100']);
    expect([...interfaceNames([null, { ifname: 7 }, { ifname: 'up0' }])]).toEqual(['up0']);
    expect(interfaceNames('nonsense').size).toBe(0);
  });

  it('puts both families into one dump', () => {
    const ipv4 = { links: [], rules: ['r4'], routes: ['t4'] };
    const ipv6 = { links: [], rules: ['r6'], routes: ['t6'] };
    expect(routingDump(ipv4, ipv6)).toEqual({
      rules: { IPv4: ['r4'], IPv6: ['r6'] },
      routes: { IPv4: ['t4'], IPv6: ['t6'] },
    });
  });

  it('runs ip once per family with the batch on its input, and throws a read error on failure', async () => {
    const calls: { args: readonly string[]; stdin?: string }[] = [];
    const ip = (args: readonly string[], stdin?: string) => {
      calls.push({ args, stdin });
      return Promise.resolve(ok(`${links}\n${rules}\n${routes}\n`));
    };
    await readFamilyRouting(ip, 'IPv6', 'nftables', 'routing of x');
    expect(calls).toEqual([{ args: ['-6', '-j', '-br', '-batch', '-'], stdin: ROUTING_READ }]);
    const failing = () => Promise.resolve({ code: 1, stdout: '', stderr: 'boom' });
    await expect(readFamilyRouting(failing, 'IPv4', 'nftables', 'routing of x')).rejects.toThrow(
      DataplaneReadError,
    );
  });

  it('lists interfaces alone when routing is known', async () => {
    const ip = (args: readonly string[]) =>
      Promise.resolve(
        args.join(' ') === '-j -br link show' ? ok(links) : { code: 1, stdout: '', stderr: '' },
      );
    expect([...(await listInterfaces(ip, 'nftables', 'interfaces'))]).toEqual(['lo', 'vni100']);
    const garbled = () => Promise.resolve(ok('[{'));
    await expect(listInterfaces(garbled, 'nftables', 'interfaces')).rejects.toThrow(
      /printed no JSON/,
    );
    const failing = () => Promise.resolve({ code: 1, stdout: '', stderr: 'no netns' });
    await expect(listInterfaces(failing, 'nftables', 'interfaces')).rejects.toThrow(/no netns/);
  });
});
