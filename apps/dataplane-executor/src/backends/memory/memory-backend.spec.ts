import { type NatRule, diffNatRules } from '@natgw/domain';
import { DataplaneApplyError } from '../dataplane-errors';
import { MemoryBackend } from './memory-backend';

const a: NatRule = {
  nicUid: 'a',
  gatewayUid: 'gw',
  family: 'IPv4',
  privateIp: '10.0.0.2',
  natIp: '203.0.113.1',
  port: 1024,
  endPort: 2047,
};
const b: NatRule = { ...a, nicUid: 'b', privateIp: '10.0.0.3', port: 2048, endPort: 3071 };

describe('MemoryBackend', () => {
  it('reads back exactly what was applied, as a full sync', async () => {
    const backend = new MemoryBackend();
    await backend.apply([b, a]);
    expect(await backend.read()).toEqual([a, b]);
    await backend.apply([b]);
    expect(await backend.read()).toEqual([b]);
    expect(backend.appliedCount).toBe(2);
  });

  it('keeps timeout profiles as the nftables backend does: a lost or changed one is drift, a malformed one rejected', async () => {
    const backend = new MemoryBackend();
    const timed = { ...a, timeouts: '1200-30-120-30' };
    const { rejected } = await backend.apply([timed, { ...b, timeouts: 'soon' }]);
    expect(rejected.map((r) => [r.rule.nicUid, r.reason])).toEqual([['b', 'InvalidRule']]);
    expect(await backend.read()).toEqual([timed]);
    backend.tamper((rules) => rules.map(({ timeouts: _t, ...r }) => r));
    const diff = diffNatRules([timed], await backend.read());
    expect(diff.changed.map((c) => c.fields)).toEqual([['timeouts']]);
  });

  it('shows tampering as drift', async () => {
    const backend = new MemoryBackend();
    await backend.apply([a, b]);
    backend.tamper((rules) => rules.map((r) => (r.nicUid === 'a' ? { ...r, port: 9000 } : r)));
    const diff = diffNatRules([a, b], await backend.read());
    expect(diff.changed.map((c) => c.fields)).toEqual([['port']]);
  });

  it('programs every valid rule and returns the clashing one, incumbent first', async () => {
    const backend = new MemoryBackend();
    await backend.apply([a]);
    // c comes before a in canonical order (lower port) and overlaps a's slot: a is in effect, so c loses.
    const c: NatRule = { ...b, nicUid: 'c', port: 1000, endPort: 1100 };
    const result = await backend.apply([a, b, c]);
    expect(result.rejected.map((r) => [r.rule.nicUid, r.reason])).toEqual([['c', 'SlotConflict']]);
    expect(result.rejected[0]?.message).toContain("overlap NIC a's (1024-2047)");
    expect(await backend.read()).toEqual([a, b]);
  });

  it('in network mode keeps networks apart and rejects rules of a missing interface', async () => {
    const backend = new MemoryBackend({ networkInterface: 'vni{vni}' });
    const n1 = { ...a, vni: 1 };
    const n2 = { ...a, nicUid: 'a2', vni: 2, port: 2048, endPort: 3071 };
    expect((await backend.apply([n1, n2])).rejected).toEqual([]);
    backend.setNetworkInterfacePresent(2, false);
    expect(await backend.read()).toEqual([n1]);
    const result = await backend.apply([n1, n2]);
    expect(result.rejected.map((r) => r.reason)).toEqual(['NetworkInterfaceMissing']);
    // In one address space the same two NICs clash.
    const shared = new MemoryBackend();
    const clash = await shared.apply([n1, n2]);
    expect(clash.rejected.map((r) => [r.rule.nicUid, r.reason])).toEqual([
      ['a2', 'AddressConflict'],
    ]);
  });

  it('fails the requested number of applies, then recovers', async () => {
    const backend = new MemoryBackend();
    backend.failNextApplies(1, 'boom');
    await expect(backend.apply([a])).rejects.toThrow(DataplaneApplyError);
    await backend.apply([a]);
    expect(await backend.read()).toEqual([a]);
  });

  it('remove empties the table', async () => {
    const backend = new MemoryBackend();
    await backend.apply([a]);
    await backend.remove();
    expect(await backend.read()).toEqual([]);
  });
});
