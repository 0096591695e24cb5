import type { StoredResource } from '../stored-resource';
import { DATAPLANE_SUBRESOURCE, dataplaneProgress, recordedSlotNics } from './dataplane-status';

/** A gateway whose dataplane subresource is this JSON, parsed as it is read from the table. */
const gateway = (json?: string): StoredResource => ({
  kind: 'NATGateway',
  namespace: 'ns',
  name: 'gw',
  uid: '00000000-0000-4000-8000-000000000001',
  resourceVersion: '1',
  streamVersion: 1,
  object: {} as StoredResource['object'],
  subresources: json === undefined ? {} : { [DATAPLANE_SUBRESOURCE]: JSON.parse(json) },
});

const stored = JSON.stringify({
  allocationVersion: 7,
  programmed: { 'node-b': 7, 'node-a': 6, __proto__: 3 },
  slots: { 'nic-2': { version: 5, node: 'node-b' }, 'nic-1': { version: 7, node: 'node-a' } },
  rejected: { 'node-a': { 'nic-1': { reason: 'AddressConflict', message: 'taken' } } },
});

describe('dataplaneProgress', () => {
  it('is empty for a gateway nothing was reported for', () => {
    expect(dataplaneProgress(gateway())).toEqual({
      allocationVersion: 0,
      programmed: {},
      slots: {},
      rejected: {},
    });
    expect(recordedSlotNics(gateway())).toEqual([]);
  });

  it('returns the stored progress, every key in its order, an own __proto__ key included', () => {
    const p = dataplaneProgress(gateway(stored));
    expect(JSON.stringify(p)).toBe(stored);
    // The copies have no prototype (dictionaries from the start): no key can set one.
    expect(Object.getPrototypeOf(p.programmed)).toBeNull();
    expect(recordedSlotNics(gateway(stored))).toEqual(['nic-2', 'nic-1']);
  });

  it('is a copy: changing it leaves the stored progress as it was', () => {
    const g = gateway(stored);
    const p = dataplaneProgress(g);
    p.programmed['node-a'] = 9;
    delete p.slots['nic-2'];
    p.slots['nic-3'] = { version: 8, node: 'node-a' };
    delete p.rejected['node-a']['nic-1'];
    p.rejected['node-b'] = {};
    expect(JSON.stringify(g.subresources[DATAPLANE_SUBRESOURCE])).toBe(stored);
  });
});
