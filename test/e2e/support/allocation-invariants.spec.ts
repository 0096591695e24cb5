// The allocation oracle on hand-made snapshots: a healthy one passes, and each
// broken rule is flagged in words.
import {
  AllocationSnapshot,
  allocationProblems,
  foldAllocationEvents,
  foldClaims,
  OracleSlot,
  ResourceRow,
} from './allocation-invariants';

const GW = '00000000-0000-4000-8000-0000000000a1';
const GW_YOUNG = '00000000-0000-4000-8000-0000000000a2';
const GW6 = '00000000-0000-4000-8000-0000000000a6';
const NIC_A = '00000000-0000-4000-8000-00000000000a';
const NIC_B = '00000000-0000-4000-8000-00000000000b';

function network(name: string, vni?: number): ResourceRow {
  return {
    kind: 'Network',
    namespace: 'default',
    name,
    uid: `net-${name}`,
    object: { metadata: {}, spec: {}, status: vni === undefined ? {} : { vni } },
  };
}

function gateway(
  uid: string,
  name: string,
  over: { family?: 'IPv4' | 'IPv6'; created?: string; network?: string } = {},
): ResourceRow {
  return {
    kind: 'NATGateway',
    namespace: 'default',
    name,
    uid,
    object: {
      metadata: { creationTimestamp: over.created ?? '2026-01-01T00:00:00Z' },
      spec: {
        type: 'Public',
        ipFamily: over.family ?? 'IPv4',
        portsPerNetworkInterface: 1024,
        networkRef: { name: over.network ?? 'blue' },
      },
    },
  };
}

function nic(
  uid: string,
  name: string,
  over: { ips?: string[]; virtualIp?: string; node?: string; network?: string } = {},
): ResourceRow {
  return {
    kind: 'NetworkInterface',
    namespace: 'default',
    name,
    uid,
    object: {
      metadata: { creationTimestamp: '2026-01-02T00:00:00Z' },
      spec: {
        networkRef: { name: over.network ?? 'blue' },
        ips: over.ips ?? ['10.0.0.5'],
        nodeName: over.node ?? 'node-1',
        ...(over.virtualIp ? { virtualIP: { ip: over.virtualIp } } : {}),
      },
    },
  };
}

function slot(nicUid: string, over: Partial<OracleSlot> = {}) {
  return {
    type: 'NATSlotAssigned',
    data: {
      gatewayUid: GW,
      nicUid,
      nicName: nicUid === NIC_A ? 'a' : 'b',
      namespace: 'default',
      privateIp: nicUid === NIC_A ? '10.0.0.5' : '10.0.0.6',
      nodeName: 'node-1',
      vni: 7,
      ip: '203.0.113.1',
      port: nicUid === NIC_A ? 1024 : 2048,
      endPort: nicUid === NIC_A ? 2047 : 3071,
      ...over,
    } as Record<string, unknown>,
  };
}

/** Gateway GW in network blue (VNI 7) serving NICs a (10.0.0.5) and b (10.0.0.6) on node-1. */
function healthy(
  edit: {
    resources?: (rs: ResourceRow[]) => ResourceRow[];
    slots?: Array<ReturnType<typeof slot>>;
  } = {},
): AllocationSnapshot {
  const resources = [
    network('blue', 7),
    gateway(GW, 'gw'),
    nic(NIC_A, 'a'),
    nic(NIC_B, 'b', { ips: ['10.0.0.6'] }),
  ];
  return {
    allocations: new Map([
      [
        GW,
        foldAllocationEvents([
          { type: 'NATGatewayIPAssigned', data: { gatewayUid: GW, ip: '203.0.113.1' } },
          ...(edit.slots ?? [slot(NIC_A), slot(NIC_B)]),
        ]),
      ],
    ]),
    claims: foldClaims([{ type: 'PublicIPClaimed', data: { ip: '203.0.113.1', gatewayUid: GW } }]),
    resources: edit.resources ? edit.resources(resources) : resources,
  };
}

const withNic = (uid: string, replacement: ResourceRow) => (rs: ResourceRow[]) =>
  rs.map((r) => (r.uid === uid ? replacement : r));

describe('allocation oracle', () => {
  it('finds nothing wrong in a healthy allocation', () => {
    expect(allocationProblems(healthy())).toEqual([]);
  });

  it('flags a NIC that kept its slot after gaining a virtual IP of the family', () => {
    const s = healthy({
      resources: withNic(NIC_A, nic(NIC_A, 'a', { virtualIp: '198.51.100.9' })),
    });
    expect(allocationProblems(s)).toEqual([
      'slot of NIC default/a at gateway gw: the NIC is not eligible for that gateway',
    ]);
    // A virtual IP of the other family changes nothing.
    expect(
      allocationProblems(
        healthy({ resources: withNic(NIC_A, nic(NIC_A, 'a', { virtualIp: '2001:db8::9' })) }),
      ),
    ).toEqual([]);
  });

  it('flags a slot that points at a stale private IP', () => {
    const s = healthy({ resources: withNic(NIC_A, nic(NIC_A, 'a', { ips: ['10.0.0.55'] })) });
    expect(allocationProblems(s)).toEqual([
      "slot of NIC default/a at gateway gw translates 10.0.0.5, but the NIC's address is 10.0.0.55",
    ]);
  });

  it('flags a slot that points at a stale node', () => {
    const s = healthy({
      resources: withNic(NIC_B, nic(NIC_B, 'b', { ips: ['10.0.0.6'], node: 'node-2' })),
    });
    expect(allocationProblems(s)).toEqual([
      'slot of NIC default/b at gateway gw is on node node-1, but the NIC is on node-2',
    ]);
  });

  it('flags a slot that points at a stale VNI, or has none when the network has one', () => {
    const stale = healthy({
      resources: (rs) => rs.map((r) => (r.kind === 'Network' ? network('blue', 8) : r)),
    });
    expect(allocationProblems(stale)).toEqual([
      'slot of NIC default/a at gateway gw has VNI 7, but network blue has 8',
      'slot of NIC default/b at gateway gw has VNI 7, but network blue has 8',
    ]);
    const { vni: _vni, ...withoutVni } = slot(NIC_B).data;
    const missing = healthy({
      slots: [slot(NIC_A), { type: 'NATSlotAssigned', data: withoutVni }],
    });
    expect(allocationProblems(missing)).toEqual([
      'slot of NIC default/b at gateway gw has VNI (none), but network blue has 7',
    ]);
  });

  it('flags an eligible NIC without a slot, and a slot of a NIC in another network', () => {
    expect(allocationProblems(healthy({ slots: [slot(NIC_A)] }))).toEqual([
      'eligible NIC default/b has no slot at gateway gw',
    ]);
    const moved = healthy({
      resources: withNic(NIC_B, nic(NIC_B, 'b', { ips: ['10.0.0.6'], network: 'red' })),
    });
    expect(allocationProblems(moved)).toEqual([
      'slot of NIC default/b at gateway gw: the NIC is not eligible for that gateway',
    ]);
  });

  it('flags a slot held by a younger gateway when an older one serves the network', () => {
    const s = healthy({
      resources: (rs) => [...rs, gateway(GW_YOUNG, 'gw-old', { created: '2025-12-31T00:00:00Z' })],
    });
    const problems = allocationProblems(s);
    expect(problems).toContain(
      'slot of NIC default/a at gateway gw: the NIC is not eligible for that gateway',
    );
    expect(problems).toContain('eligible NIC default/a has no slot at gateway default/gw-old');
  });

  it('expects an IPv6 slot only for NICs with an IPv6 address, in any spelling', () => {
    const s = healthy({
      resources: (rs) => [
        ...rs.map((r) =>
          r.uid === NIC_A ? nic(NIC_A, 'a', { ips: ['10.0.0.5', 'fd00:0:0::5'] }) : r,
        ),
        gateway(GW6, 'gw6', { family: 'IPv6' }),
      ],
    });
    s.allocations.set(
      GW6,
      foldAllocationEvents([
        { type: 'NATGatewayIPAssigned', data: { ip: '2001:db8::1' } },
        {
          type: 'NATSlotAssigned',
          data: { ...slot(NIC_A).data, gatewayUid: GW6, privateIp: 'fd00::5', ip: '2001:db8::1' },
        },
      ]),
    );
    s.claims.set('2001:db8::1', GW6);
    expect(allocationProblems(s)).toEqual([]);
  });

  it('flags shared ports, unaligned slots, unheld and unclaimed addresses', () => {
    const s = healthy({ slots: [slot(NIC_A), slot(NIC_B, { port: 1536, endPort: 2559 })] });
    expect(allocationProblems(s)).toEqual([
      'slot of NIC default/b at gateway gw has ports 1536-2559, not one aligned slot of 1024 ports in 1024..65535',
      `203.0.113.1 ports 1536-2047 belong to NIC ${NIC_A} (gateway ${GW}) and NIC ${NIC_B} (gateway ${GW})`,
    ]);
    const unclaimed = healthy();
    unclaimed.claims.clear();
    unclaimed.claims.set('203.0.113.9', GW);
    expect(allocationProblems(unclaimed)).toEqual([
      `203.0.113.1 held by ${GW} but claimed by undefined`,
      `203.0.113.9 claimed by ${GW} but held by no open allocation`,
    ]);
    const elsewhere = healthy({ slots: [slot(NIC_A, { ip: '203.0.113.2' }), slot(NIC_B)] });
    expect(allocationProblems(elsewhere)).toEqual([
      'slot of NIC default/a at gateway gw is on 203.0.113.2, which the gateway does not hold',
    ]);
  });

  it('flags an open allocation of a gone gateway and objects stuck in deletion', () => {
    const gone = healthy({ resources: (rs) => rs.filter((r) => r.kind !== 'NATGateway') });
    expect(allocationProblems(gone)[0]).toBe(`gateway ${GW} is gone but its allocation is open`);
    const stuck = healthy({
      resources: (rs) =>
        rs.map((r) =>
          r.uid === NIC_B
            ? {
                ...r,
                object: { ...r.object, metadata: { deletionTimestamp: '2026-01-03T00:00:00Z' } },
              }
            : r,
        ),
    });
    expect(allocationProblems(stuck)).toEqual([
      'slot of NIC default/b at gateway gw: the NIC is not eligible for that gateway',
      'NetworkInterface default/b is still being deleted',
    ]);
  });

  it('folds releases and closes: a released slot and a closed gateway hold nothing', () => {
    const state = foldAllocationEvents([
      { type: 'NATGatewayIPAssigned', data: { ip: '203.0.113.1' } },
      slot(NIC_A),
      { type: 'NATSlotReleased', data: { nicUid: NIC_A } },
    ]);
    expect([...state.slots.keys()]).toEqual([]);
    expect(foldAllocationEvents([slot(NIC_A), { type: 'AllocationClosed', data: {} }])).toEqual({
      status: 'closed',
      ips: [],
      slots: new Map(),
    });
  });
});
