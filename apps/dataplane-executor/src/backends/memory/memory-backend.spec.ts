import { type NatRule, diffNatRules } from '@natgw/domain';
import { DataplaneApplyError, DataplaneRulesRejectedError } from '../dataplane-errors';
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

  it('shows tampering as drift', async () => {
    const backend = new MemoryBackend();
    await backend.apply([a, b]);
    backend.tamper((rules) => rules.map((r) => (r.nicUid === 'a' ? { ...r, port: 9000 } : r)));
    const diff = diffNatRules([a, b], await backend.read());
    expect(diff.changed.map((c) => c.fields)).toEqual([['port']]);
  });

  it('rejects an invalid table without changing anything', async () => {
    const backend = new MemoryBackend();
    await backend.apply([a]);
    await expect(backend.apply([a, { ...b, port: 1500 }])).rejects.toBeInstanceOf(
      DataplaneRulesRejectedError,
    );
    expect(await backend.read()).toEqual([a]);
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
