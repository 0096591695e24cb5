// The nftables backend against the real nft in a scratch network namespace: one-transaction
// apply whether or not the table exists, exact read-back, hand edits seen as drift and repaired,
// other tables never touched. Packets are in nftables-packets.int-spec.ts.
import {
  type NatRule,
  diffNatRules,
  isNatRuleDiffEmpty,
  natRuleKey,
  sortNatRules,
} from '@natgw/domain';
import { NetnsLab, assertNetnsPrerequisites } from '@natgw/testing';
import {
  DataplaneApplyError,
  NftablesBackend,
  UNEXPECTED_CONTENT_NIC_UID,
  UNLABELLED_NIC_PREFIX,
  processNftRunner,
} from '../../apps/dataplane-executor/src/backends';

jest.setTimeout(60_000);

const gw = 'gw-0000-1111';
function v4(i: number, over: Partial<NatRule> = {}): NatRule {
  return {
    nicUid: `nic-${i}`,
    nicName: `vm${i}-nic`,
    gatewayUid: gw,
    family: 'IPv4',
    privateIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    natIp: `203.0.113.${1 + Math.floor(i / 31)}`,
    port: 1024 + (i % 31) * 2048,
    endPort: 1024 + (i % 31) * 2048 + 2047,
    ...over,
  };
}
function v6(i: number, over: Partial<NatRule> = {}): NatRule {
  return {
    ...v4(i),
    family: 'IPv6',
    privateIp: `fd00::${i.toString(16)}`,
    natIp: `2001:db8::${(1 + Math.floor(i / 31)).toString(16)}`,
    ...over,
  };
}

describe('NftablesBackend on real nftables', () => {
  const lab = new NetnsLab();
  let ns = '';
  let backend: NftablesBackend;
  const nft = async (...args: string[]) => {
    const r = await lab.exec(ns, 'nft', args);
    if (r.code !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const desired = [v4(1), v4(2), v4(40), v6(1), v6(2), v6(3, { port: 65000, endPort: 65000 })];

  beforeAll(async () => {
    assertNetnsPrerequisites();
    ns = await lab.namespace('nft');
    backend = new NftablesBackend({ netns: ns, uplinks: ['up0', 'up1'] });
  });
  afterAll(() => lab.destroy());

  it('creates the table when it is missing and reads back exactly what it applied', async () => {
    expect(await backend.read()).toEqual([]);
    await backend.apply(desired);
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(inspection.rules).toEqual(sortNatRules(desired));
    expect(isNatRuleDiffEmpty(diffNatRules(desired, inspection.rules))).toBe(true);
  });

  it('replaces an existing table in one transaction', async () => {
    const next = [v4(1, { port: 3072, endPort: 4095 }), v6(2)];
    await backend.apply(next);
    expect(await backend.read()).toEqual(sortNatRules(next));
    await backend.apply(desired);
    expect(await backend.read()).toEqual(sortNatRules(desired));
  });

  it('never touches other tables, even one with the same name in another family', async () => {
    await nft('add', 'table', 'ip', 'natgw');
    await nft('add', 'chain', 'ip', 'natgw', 'keep');
    await nft('add', 'table', 'inet', 'other');
    await nft('add', 'chain', 'inet', 'other', 'c', '{ type filter hook forward priority 0; }');
    await nft('add', 'rule', 'inet', 'other', 'c', 'iifname', '"x"', 'drop');
    await backend.apply(desired);
    await backend.remove();
    await backend.apply(desired);
    const tables = await nft('list', 'tables');
    expect(tables).toContain('table ip natgw');
    expect(tables).toContain('table inet other');
    expect(await nft('list', 'chain', 'inet', 'other', 'c')).toContain('iifname "x" drop');
    expect(await nft('list', 'table', 'ip', 'natgw')).toContain('chain keep');
  });

  it('changes nothing when the transaction fails, and says why', async () => {
    await backend.apply(desired);
    const broken = new NftablesBackend(
      { netns: ns, uplinks: ['up0', 'up1'] },
      // The real nft, fed natgw's transaction with one line it must refuse appended.
      (args, stdin) =>
        processNftRunner({ netns: ns })(args, `${stdin}add rule inet natgw forward bogus\n`),
    );
    const error = await broken.apply([v4(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataplaneApplyError);
    expect((error as DataplaneApplyError).stderr).toMatch(/Error: .*bogus/s);
    expect(await backend.read()).toEqual(sortNatRules(desired));
  });

  it('sees a deleted element as missing and an unknown element as unexpected, and apply repairs both', async () => {
    await backend.apply(desired);
    await nft('delete', 'element', 'inet', 'natgw', 'snat4', '{ 10.0.0.2 }');
    await nft(
      'add',
      'element',
      'inet',
      'natgw',
      'snat4',
      '{ 10.9.9.9 : 203.0.113.9 . 30000-30999 }',
    );
    const inspection = await backend.inspect();
    const diff = diffNatRules(desired, inspection.rules);
    expect(diff.missing.map(natRuleKey)).toEqual(['IPv4/nic-2']);
    // Not in natgw's filter sets, the stranger's element is not a rule in effect: it shows as
    // unexpected content, and in detail among the ineffective rules.
    expect(diff.extra.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    expect(inspection.ineffective).toEqual([
      expect.objectContaining({
        nicUid: `${UNLABELLED_NIC_PREFIX}10.9.9.9`,
        natIp: '203.0.113.9',
        port: 30000,
        endPort: 30999,
      }),
    ]);
    await backend.apply(desired);
    expect(isNatRuleDiffEmpty(diffNatRules(desired, await backend.read()))).toBe(true);
  });

  it('sees an edited IPv6 range chain as changed rules', async () => {
    await backend.apply(desired);
    // v6(1) is the only NIC in its range's chain.
    const chain = `snat6-${desired[3]?.port}-${desired[3]?.endPort}`;
    await nft('flush', 'chain', 'inet', 'natgw', chain);
    await nft(
      'add',
      'rule',
      'inet',
      'natgw',
      chain,
      'meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @natip6 : 60000-60999',
    );
    const diff = diffNatRules(desired, await backend.read());
    expect(
      diff.changed.map((c) => [natRuleKey(c.desired), c.actual.port, c.actual.endPort]),
    ).toEqual([['IPv6/nic-1', 60000, 60999]]);
    await backend.apply(desired);
    expect(isNatRuleDiffEmpty(diffNatRules(desired, await backend.read()))).toBe(true);
  });

  it('sees a rule added to a base chain as drift of every rule, and apply removes it', async () => {
    await backend.apply(desired);
    await nft('insert', 'rule', 'inet', 'natgw', 'forward', 'iifname', '"up0"', 'accept');
    const inspection = await backend.inspect();
    expect(inspection.problems.map((p) => p.message)).toEqual([
      'chain forward holds rules natgw did not write',
    ]);
    const diff = diffNatRules(desired, inspection.rules);
    expect(diff.missing).toHaveLength(desired.length);
    expect(diff.extra.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    await backend.apply(desired);
    expect((await backend.inspect()).problems).toEqual([]);
    expect(await nft('list', 'chain', 'inet', 'natgw', 'forward')).not.toContain('"up0"');
  });

  it('sees a stray set element as drift even with nothing desired', async () => {
    await backend.apply([]);
    await nft('add', 'element', 'inet', 'natgw', 'nics4', '{ 10.1.1.1 }');
    const diff = diffNatRules([], await backend.read());
    expect(diff.extra.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    await backend.apply([]);
    expect(await backend.read()).toEqual([]);
  });

  it('round-trips 1,000 NICs of both families', async () => {
    const many = [
      ...Array.from({ length: 600 }, (_, i) => v4(i + 1)),
      ...Array.from({ length: 400 }, (_, i) => v6(i + 1)),
    ];
    await backend.apply(many);
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(many, inspection.rules))).toBe(true);
    expect(inspection.rules).toHaveLength(1000);
  });

  it('applies small changes as element edits in one transaction, and they read back exactly', async () => {
    const sent: string[] = [];
    const real = processNftRunner({ netns: ns });
    const watched = new NftablesBackend({ netns: ns, uplinks: ['up0', 'up1'] }, (args, stdin) => {
      if (stdin !== undefined) sent.push(stdin);
      return real(args, stdin);
    });
    await watched.apply(desired);
    const steps: NatRule[][] = [
      [...desired, v4(3)],
      [...desired, v4(3, { port: 60000, endPort: 60999 })],
      // v6(3)'s single-port chain goes, a new range chain comes.
      [...desired.filter((r) => r.nicUid !== 'nic-3'), v6(3, { port: 61000, endPort: 61999 })],
      // A NIC replaced by another with the same private address.
      [...desired.filter((r) => natRuleKey(r) !== 'IPv4/nic-2'), v4(2, { nicUid: 'nic-2b' })],
      [],
      desired,
    ];
    for (const step of steps) {
      await watched.apply(step);
      const inspection = await watched.inspect();
      expect(inspection.problems).toEqual([]);
      expect(inspection.rules).toEqual(sortNatRules(step));
    }
    expect(sent[0]).toMatch(/^table inet natgw\n/);
    expect(sent.slice(1).every((text) => !text.startsWith('table inet'))).toBe(true);
  });

  it('falls back to redefining the table when it changed behind the backend', async () => {
    await backend.apply(desired);
    await nft('delete', 'table', 'inet', 'natgw');
    const more = [...desired, v4(3)];
    await backend.apply(more);
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(inspection.rules).toEqual(sortNatRules(more));
  });

  it('remove deletes the table, and removing again is a no-op', async () => {
    await backend.apply(desired);
    await backend.remove();
    await backend.remove();
    expect(await backend.read()).toEqual([]);
    expect(await nft('list', 'tables')).not.toContain('table inet natgw');
  });
});
