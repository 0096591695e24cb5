import {
  ALL_NODES,
  dataplaneCondition,
  DataplaneProgress,
  natProgrammedCondition,
  NicSlotProgress,
  reportCovers,
} from './dataplane-status';

const progress = (over: Partial<DataplaneProgress> = {}): DataplaneProgress => ({
  allocationVersion: 5,
  programmed: { 'node-a': 5, 'node-b': 5 },
  slots: {},
  rejected: {},
  ...over,
});

const slot = (over: Partial<NicSlotProgress> = {}): NicSlotProgress => ({
  gateway: 'gw',
  family: 'IPv4',
  node: 'node-a',
  version: 3,
  programmed: true,
  ...over,
});

describe('DataplaneProgrammed', () => {
  it('is True when every serving node programmed the current version and rejected nothing', () => {
    expect(dataplaneCondition(progress(), ['node-a', 'node-b'])).toMatchObject({
      status: 'True',
      reason: 'Programmed',
    });
  });

  it('names the nodes behind', () => {
    expect(
      dataplaneCondition(progress({ programmed: { 'node-a': 5, 'node-b': 4 } }), [
        'node-a',
        'node-b',
      ]),
    ).toEqual({
      status: 'False',
      reason: 'DataplaneNotProgrammed',
      message: 'node node-b has not programmed allocation version 5 yet',
    });
  });

  it('names every rejected NIC and its node, with the reason', () => {
    const condition = dataplaneCondition(
      progress({
        rejected: {
          'node-b': { u2: { nicName: 'web-2', reason: 'AddressConflict', message: 'x' } },
          'node-a': {
            u1: { nicName: 'web-1', reason: 'AddressConflict', message: 'x' },
            u3: { reason: 'NetworkInterfaceMissing', message: 'y' },
          },
        },
      }),
      ['node-a', 'node-b'],
    );
    expect(condition).toEqual({
      status: 'False',
      reason: 'RulesRejected',
      message:
        '3 network interfaces could not be programmed: u3 on node node-a (NetworkInterfaceMissing), web-1 on node node-a (AddressConflict), web-2 on node node-b (AddressConflict)',
    });
  });

  it('caps the message when thousands of NICs were rejected', () => {
    const nics = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [
        `u${i}`,
        { nicName: `nic-${i}`, reason: 'AddressConflict', message: 'x' },
      ]),
    );
    const condition = dataplaneCondition(progress({ rejected: { 'node-a': nics } }), ['node-a']);
    expect(condition.message.length).toBeLessThanOrEqual(1000);
    expect(condition.message).toMatch(/^5000 network interfaces could not be programmed: nic-0 /);
  });
});

describe('NATProgrammed', () => {
  it('is absent without slots, True once programmed', () => {
    expect(natProgrammedCondition({})).toBeUndefined();
    expect(natProgrammedCondition({ g: slot() })).toEqual({
      status: 'True',
      reason: 'Programmed',
      message: 'node node-a programmed the IPv4 NAT slot of gateway gw',
    });
  });

  it('is False while the node has not programmed a slot', () => {
    expect(
      natProgrammedCondition({
        g: slot(),
        h: slot({ gateway: 'gw6', family: 'IPv6', programmed: false, node: ALL_NODES }),
      }),
    ).toEqual({
      status: 'False',
      reason: 'NotProgrammed',
      message: 'the single-node executor has not programmed the IPv6 NAT slot of gateway gw6 yet',
    });
  });

  it('carries the rejection reason and message, before anything not yet programmed', () => {
    expect(
      natProgrammedCondition({
        g: slot({ programmed: false }),
        h: slot({
          gateway: 'gw6',
          family: 'IPv6',
          rejected: { reason: 'AddressConflict', message: 'fd00::2 is also NIC b' },
        }),
      }),
    ).toEqual({
      status: 'False',
      reason: 'AddressConflict',
      message: 'node node-a rejected the IPv6 NAT rule of gateway gw6: fd00::2 is also NIC b',
    });
  });
});

describe('reportCovers', () => {
  it('a node covers its own slots; the single-node executor covers every slot', () => {
    expect(reportCovers('node-a', 'node-a')).toBe(true);
    expect(reportCovers('node-a', 'node-b')).toBe(false);
    expect(reportCovers('node-a', ALL_NODES)).toBe(false);
    expect(reportCovers(ALL_NODES, 'node-b')).toBe(true);
  });
});
