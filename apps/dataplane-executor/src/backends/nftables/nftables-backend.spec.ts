import type { NatRule } from '@natgw/domain';
import { DataplaneApplyError, DataplaneReadError } from '../dataplane-errors';
import handEditedRules from './fixtures/hand-edited-rules.json';
import healthy from './fixtures/healthy.json';
import { NftablesBackend, NftablesConfigError } from './nftables-backend';
import type { NftResult, NftRunner, StreamInput } from './nft-runner';
import { ROUTING_READ } from './routing-read';

const rule: NatRule = {
  nicUid: 'nic-1',
  gatewayUid: 'gw-1',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};

function fakeNft(reply: Partial<NftResult> | ((stdin?: string) => Partial<NftResult>) = {}) {
  const calls: { args: readonly string[]; stdin?: string }[] = [];
  const runner: NftRunner = async (args, stdin) => {
    calls.push({ args, stdin });
    const given = typeof reply === 'function' ? reply(stdin) : reply;
    // Unless told otherwise, there is no table yet (the backend reads before its first apply).
    const told = given.code !== undefined || given.stdout !== undefined;
    const missing =
      args[0] === '-j' && !told ? { code: 1, stderr: 'Error: No such file or directory\n' } : {};
    return { code: 0, stdout: '', stderr: '', ...missing, ...given };
  };
  /** The transactions sent (reads left out). */
  const writes = () => calls.filter((c) => c.args[0] === '-f');
  return { calls, runner, writes };
}

const FULL = /^table inet natgw\ndelete table inet natgw\n/;

describe('NftablesBackend', () => {
  it('applies the whole table in one nft -f transaction', async () => {
    const nft = fakeNft();
    const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
    await backend.apply([rule]);
    // It reads what is in effect first (the incumbents), then sends one transaction.
    expect(nft.calls.map((c) => c.args)).toEqual([
      ['-j', 'list', 'table', 'inet', 'natgw'],
      ['-f', '-'],
    ]);
    expect(nft.calls[1]?.stdin).toBe(backend.render([rule]));
    expect(nft.calls[1]?.stdin).toMatch(/^table inet natgw\ndelete table inet natgw\n/);
  });

  it('turns a failed nft into DataplaneApplyError carrying its stderr', async () => {
    const stderr = 'Error: Could not process rule: Invalid argument\n';
    const nft = fakeNft((stdin) => (stdin === undefined ? {} : { code: 1, stderr }));
    const backend = new NftablesBackend({ uplinks: ['eth0'], netns: 'gw' }, nft.runner);
    const error = await backend.apply([rule]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataplaneApplyError);
    expect(error).toMatchObject({ stderr, exitCode: 1, target: 'table inet natgw (netns gw)' });
    expect((error as Error).message).toContain('Invalid argument');
  });

  it('programs every other NIC when two share a private address, and returns the newcomer', async () => {
    const nft = fakeNft();
    const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
    const twin = { ...rule, nicUid: 'nic-2', port: 2048, endPort: 3071 };
    const third = { ...rule, nicUid: 'nic-3', privateIp: '10.0.0.3', port: 4096, endPort: 5119 };
    const { rejected } = await backend.apply([rule, twin, third]);
    expect(rejected).toEqual([
      {
        rule: twin,
        reason: 'AddressConflict',
        message: "NAT rule IPv4/nic-2: private IP 10.0.0.2 on this node is already NIC nic-1's",
      },
    ]);
    expect(nft.writes()[0]?.stdin).toBe(backend.render([rule, third]));
  });

  it('rejects a rule whose uids do not fit an element comment, alone', async () => {
    const nft = fakeNft();
    const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
    const long = {
      ...rule,
      nicUid: 'x'.repeat(130),
      privateIp: '10.0.0.9',
      port: 4096,
      endPort: 4097,
    };
    const { rejected } = await backend.apply([rule, long]);
    expect(rejected.map((r) => [r.reason, r.message])).toEqual([
      [
        'InvalidRule',
        `NAT rule IPv4/${'x'.repeat(130)}: nicUid and gatewayUid are too long for an nft element comment`,
      ],
    ]);
  });

  it('reads a missing table as empty, and other failures as DataplaneReadError', async () => {
    const missing = fakeNft({
      code: 1,
      stderr: 'Error: No such file or directory\nlist table inet natgw\n                 ^^^^^\n',
    });
    await expect(
      new NftablesBackend({ uplinks: ['eth0'] }, missing.runner).read(),
    ).resolves.toEqual([]);
    expect(missing.calls[0]?.args).toEqual(['-j', 'list', 'table', 'inet', 'natgw']);

    const noNamespace = fakeNft({
      code: 255,
      stderr: 'Cannot open network namespace "gw": No such file or directory\n',
    });
    await expect(
      new NftablesBackend({ uplinks: ['eth0'], netns: 'gw' }, noNamespace.runner).read(),
    ).rejects.toBeInstanceOf(DataplaneReadError);
  });

  it('parses what nft -j prints', async () => {
    const nft = fakeNft({ stdout: JSON.stringify(healthy) });
    const rules = await new NftablesBackend({ uplinks: ['up0', 'up1'] }, nft.runner).read();
    expect(rules.map((r) => r.privateIp)).toEqual([
      '10.200.0.2',
      '10.200.0.3',
      'fd00:200::2',
      'fd00:200::3',
    ]);
  });

  it('removes by deleting its table in one transaction', async () => {
    const nft = fakeNft();
    await new NftablesBackend({ uplinks: ['eth0'], table: 'nat_test' }, nft.runner).remove();
    expect(nft.calls[0]?.stdin).toBe('table inet nat_test\ndelete table inet nat_test\n');
  });

  it('refuses configuration it could not quote safely', () => {
    expect(() => new NftablesBackend({ uplinks: [] })).toThrow(NftablesConfigError);
    expect(() => new NftablesBackend({ uplinks: ['eth0"; flush ruleset'] })).toThrow(
      'DATAPLANE_UPLINK "eth0"; flush ruleset" is not an interface name',
    );
    expect(() => new NftablesBackend({ uplinks: ['eth0'], table: 'a b' })).toThrow(
      NftablesConfigError,
    );
    expect(() => new NftablesBackend({ uplinks: ['eth0'], netns: '../x' })).toThrow(
      'DATAPLANE_NETNS "../x" is not a namespace name',
    );
  });

  it('refuses a network interface template without {vni}, too long, or naming an uplink', () => {
    for (const template of ['vni', 'vni{vni}{vni}', 'vxlan-tenant{vni}', 'v{vni}"; x']) {
      expect(() => new NftablesBackend({ uplinks: ['eth0'], networkInterface: template })).toThrow(
        `DATAPLANE_NETWORK_INTERFACE "${template}" must hold {vni} once`,
      );
    }
    expect(() => new NftablesBackend({ uplinks: ['vni7'], networkInterface: 'vni{vni}' })).toThrow(
      'DATAPLANE_UPLINK names a network interface',
    );
    expect(
      new NftablesBackend({ uplinks: ['eth0'], networkInterface: 'vxlan{vni}' }).networkInterface,
    ).toBe('vxlan{vni}');
  });

  it('in network mode checks the interfaces, keys by network and syncs routing after nft', async () => {
    const nft = fakeNft();
    const ipCalls: { args: readonly string[]; stdin?: string }[] = [];
    const ip: NftRunner = async (args, stdin) => {
      ipCalls.push({ args, stdin });
      if (stdin === ROUTING_READ) {
        // An empty namespace's routing: ip stops the batch at the table that does not exist.
        const links = JSON.stringify([{ ifname: 'vni7' }, { ifname: 'eth0' }]);
        const rules = JSON.stringify([{ priority: 0, src: 'all', table: 'local' }]);
        const stderr = 'Error: ipv4: FIB table does not exist.\nCommand failed -:3\n';
        return { code: 1, stdout: `${links}\n${rules}\n[`, stderr };
      }
      return { code: 0, stdout: '', stderr: '' };
    };
    const backend = new NftablesBackend(
      { uplinks: ['eth0'], networkInterface: 'vni{vni}' },
      nft.runner,
      ip,
    );
    const inNet7 = { ...rule, vni: 7 };
    const inNet8 = { ...rule, nicUid: 'nic-8', vni: 8, port: 2048, endPort: 3071 };
    const { rejected } = await backend.apply([inNet7, inNet8]);
    expect(rejected.map((r) => r.reason)).toEqual(['NetworkInterfaceMissing']);
    expect(nft.writes()[0]?.stdin).toContain('1 . 10.0.0.2 comment "nic=nic-1 gw=gw-1 vni=7"');
    // One read per family (interfaces, rules and routes), then one write per family.
    expect(ipCalls.filter((c) => c.stdin === ROUTING_READ).map((c) => c.args[0])).toEqual([
      '-4',
      '-6',
    ]);
    expect(ipCalls).toHaveLength(4);
    const batches = ipCalls.filter((c) => c.stdin !== ROUTING_READ);
    expect(batches.map((c) => [c.args[0], c.stdin])).toEqual([
      [
        '-4',
        'rule add pref 5200 to 240.0.0.0/16 table 7000000\nroute replace 240.0.0.1 dev vni7 table 7000000\n',
      ],
      [
        '-6',
        'rule add pref 5200 to 100::/64 table 7000000\nroute replace 100::1 dev vni7 table 7000000\n',
      ],
    ]);
  });

  describe('incremental apply', () => {
    const other: NatRule = {
      ...rule,
      nicUid: 'nic-2',
      privateIp: '10.0.0.3',
      port: 2048,
      endPort: 3071,
    };

    it('redefines the table first, then sends only element changes', async () => {
      const nft = fakeNft();
      const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
      await backend.apply([rule]);
      await backend.apply([rule, other]);
      await backend.apply([rule, other]);
      expect(nft.writes()).toHaveLength(2);
      expect(nft.writes()[0]?.stdin).toMatch(FULL);
      expect(nft.writes()[1]?.stdin).toBe(
        'add element inet natgw snat4 { 10.0.0.3 comment "nic=nic-2 gw=gw-1" : 203.0.113.1 . 2048-3071 }\n' +
          'add element inet natgw nics4 { 10.0.0.3 }\n',
      );
    });

    it('falls back to redefining the table when nft refuses the changes', async () => {
      const nft = fakeNft((stdin) =>
        stdin?.startsWith('add element')
          ? { code: 1, stderr: 'Error: No such file or directory\n' }
          : {},
      );
      const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
      await backend.apply([rule]);
      await backend.apply([rule, other]);
      expect(nft.writes().map((c) => FULL.test(c.stdin ?? ''))).toEqual([true, false, true]);
    });

    it('works from what read() found, and redefines after a read that found tampering', async () => {
      let document: unknown = healthy;
      const nft = fakeNft((stdin) =>
        stdin === undefined ? { stdout: JSON.stringify(document) } : {},
      );
      const backend = new NftablesBackend({ uplinks: ['up0', 'up1'] }, nft.runner);
      const found = await backend.read();
      await backend.apply(found.slice(1));
      expect(nft.calls[1]?.stdin).toMatch(/^delete element inet natgw snat4 \{ 10\.200\.0\.2 \}\n/);

      document = handEditedRules;
      await backend.read();
      await backend.apply(found.slice(1));
      expect(nft.calls[3]?.stdin).toMatch(FULL);
    });

    it('renames one NIC with element edits, and every NIC (past the limit) by redefining', async () => {
      const nft = fakeNft();
      const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
      // 300 NICs: more than the 256 that element edits are limited to.
      const many = Array.from({ length: 300 }, (_, i): NatRule => {
        const port = 1024 + (i % 30) * 2048;
        return {
          ...rule,
          nicUid: `nic-${i}`,
          nicName: `vm-${i}`,
          privateIp: `10.0.${i >> 8}.${i & 255}`,
          natIp: `203.0.113.${1 + Math.floor(i / 30)}`,
          port,
          endPort: port + 2047,
        };
      });
      await backend.apply(many);
      const oneRenamed = many.map((r, i) => (i === 7 ? { ...r, nicName: 'renamed' } : r));
      await backend.apply(oneRenamed);
      expect(nft.writes()[1]?.stdin).toBe(
        'delete element inet natgw snat4 { 10.0.0.7 }\n' +
          'add element inet natgw snat4 { 10.0.0.7 comment "nic=nic-7 gw=gw-1 name=renamed" : 203.0.113.1 . 15360-17407 }\n',
      );
      const allRenamed = many.map((r) => ({ ...r, nicName: `${r.nicName ?? ''}-b` }));
      const { rejected } = await backend.apply(allRenamed);
      expect(rejected).toEqual([]);
      // What is sent is exactly the table of the renamed NICs, whole.
      expect(nft.writes()[2]?.stdin).toMatch(FULL);
      expect(nft.writes()[2]?.stdin).toBe(
        new NftablesBackend({ uplinks: ['eth0'] }, fakeNft().runner).render(allRenamed),
      );
      expect(nft.writes()).toHaveLength(3);
    });

    it('applyFull always redefines, and incremental: false never edits elements', async () => {
      const nft = fakeNft();
      const backend = new NftablesBackend({ uplinks: ['eth0'] }, nft.runner);
      await backend.apply([rule]);
      await backend.applyFull([rule]);
      const plain = new NftablesBackend({ uplinks: ['eth0'], incremental: false }, nft.runner);
      await plain.apply([rule]);
      await plain.apply([rule, other]);
      expect(nft.writes().every((c) => FULL.test(c.stdin ?? ''))).toBe(true);
      expect(nft.writes()).toHaveLength(4);
    });
  });

  describe('full sync with a streaming nft', () => {
    /** A stand-in streaming nft that logs when it starts and when its input comes. */
    function streamingNft(log: string[]) {
      const plain = fakeNft();
      const stream = async (args: readonly string[], stdin: StreamInput | Promise<StreamInput>) => {
        log.push('nft started');
        const pieces: (string | Uint8Array)[] = [];
        for await (const piece of await stdin) {
          if (pieces.length === 0) log.push('nft reads its input');
          pieces.push(piece);
        }
        const text = pieces.map((p) => (typeof p === 'string' ? p : Buffer.from(p))).join('');
        log.push('nft got its input');
        return plain.runner(args, text);
      };
      return { ...plain, runner: Object.assign(plain.runner, { stream }) };
    }
    const links = JSON.stringify([{ ifname: 'vni7' }, { ifname: 'eth0' }]);

    it('starts nft before the reads, gives it the table at once, and ends it once the interfaces are confirmed', async () => {
      const log: string[] = [];
      const nft = streamingNft(log);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let hold = false;
      const ip: NftRunner = async (args, stdin) => {
        if (stdin === ROUTING_READ) {
          log.push(`ip read ${args[0] ?? ''}`);
          if (hold && args[0] === '-4') {
            await gate;
            log.push('ip read -4 done');
          }
        }
        const listing = `${links}\n[]\n[]\n`;
        return { code: 0, stdout: stdin === ROUTING_READ ? listing : '', stderr: '' };
      };
      const opts = { uplinks: ['eth0'], networkInterface: 'vni{vni}' };
      const backend = new NftablesBackend(opts, nft.runner, ip);
      await backend.apply([{ ...rule, vni: 7 }]);
      log.length = 0;
      hold = true;
      const sync = backend.applyFull([{ ...rule, vni: 7 }]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // nft reads the table while the IPv4 read (the interfaces) is still out.
      expect(log).toEqual(['nft started', 'ip read -4', 'nft reads its input']);
      release();
      await sync;
      expect(log).toEqual([
        'nft started',
        'ip read -4',
        'nft reads its input',
        'ip read -4 done',
        'ip read -6',
        'nft got its input',
      ]);
      expect(nft.writes().at(-1)?.stdin).toMatch(FULL);
    });

    it('kills the nft unrun when the interfaces changed, and applies again with them', async () => {
      const log: string[] = [];
      const nft = streamingNft(log);
      let names = ['vni7', 'eth0'];
      const ip: NftRunner = async (_args, stdin) => {
        const listing = `${JSON.stringify(names.map((ifname) => ({ ifname })))}\n[]\n[]\n`;
        return { code: 0, stdout: stdin === ROUTING_READ ? listing : '', stderr: '' };
      };
      const opts = { uplinks: ['eth0'], networkInterface: 'vni{vni}' };
      const backend = new NftablesBackend(opts, nft.runner, ip);
      const seven = { ...rule, vni: 7 };
      const eight = { ...rule, nicUid: 'nic-8', vni: 8, port: 4096, endPort: 5119 };
      const first = await backend.applyFull([seven, eight]);
      expect(first.rejected.map((r) => r.reason)).toEqual(['NetworkInterfaceMissing']);
      const before = nft.writes().length;
      names = ['vni7', 'vni8', 'eth0'];
      log.length = 0;
      const second = await backend.applyFull([seven, eight]);
      expect(second.rejected).toEqual([]);
      // The first nft read a table without network 8 and never got the end of it.
      expect(log).toEqual([
        'nft started',
        'nft reads its input',
        'nft started',
        'nft reads its input',
        'nft got its input',
      ]);
      expect(nft.writes()).toHaveLength(before + 1);
      expect(nft.writes().at(-1)?.stdin).toMatch(/"vni8" : \d+/);
    });

    it('kills the early nft unrun when a read fails, and runs no transaction', async () => {
      const log: string[] = [];
      const nft = streamingNft(log);
      let failing = false;
      const ip: NftRunner = async (_args, stdin) =>
        failing
          ? { code: 1, stdout: '', stderr: 'Cannot open network namespace' }
          : { code: 0, stdout: stdin === ROUTING_READ ? `${links}\n[]\n[]\n` : '', stderr: '' };
      const opts = { uplinks: ['eth0'], networkInterface: 'vni{vni}' };
      const backend = new NftablesBackend(opts, nft.runner, ip);
      await backend.apply([{ ...rule, vni: 7 }]);
      const before = nft.writes().length;
      failing = true;
      log.length = 0;
      await expect(backend.applyFull([{ ...rule, vni: 7 }])).rejects.toThrow(DataplaneReadError);
      // It may have read the table, but its input never ended.
      expect(log).toEqual(['nft started', 'nft reads its input']);
      expect(nft.writes()).toHaveLength(before);
    });
  });
});
