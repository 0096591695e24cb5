import { nicColour, slotBars } from './slot-layout';

const section = (name: string, ip: string, port: number, endPort: number) => ({
  ip,
  port,
  endPort,
  targetRef: { name, uid: `uid-${name}` },
});

describe('slotBars', () => {
  it('gives each public IP a bar of all its slots, with each held slot at its port range', () => {
    const [bar] = slotBars(
      {
        ips: [
          {
            ip: '203.0.113.0',
            sections: [section('a', '10.0.0.1', 1024, 1087), section('b', '10.0.0.2', 1152, 1215)],
          },
        ],
      },
      64,
    );
    expect(bar.totalSlots).toBe(1008);
    expect(bar.usedSlots).toBe(2);
    expect(bar.cells).toHaveLength(1008);
    expect(bar.cells[0]).toMatchObject({ port: 1024, endPort: 1087, count: 1 });
    expect(bar.cells[0].holders.map((h) => h.targetRef.name)).toEqual(['a']);
    expect(bar.cells[1].holders).toEqual([]);
    expect(bar.cells[2].holders.map((h) => h.targetRef.name)).toEqual(['b']);
    expect(bar.cells[1007]).toMatchObject({ port: 65472, endPort: 65535 });
  });

  it('groups slots into at most 1024 cells when an IP has more slots', () => {
    const [bar] = slotBars(
      { ips: [{ ip: '203.0.113.0', sections: [section('z', '10.0.0.9', 65534, 65535)] }] },
      2,
    );
    expect(bar.totalSlots).toBe(32256);
    expect(bar.cells.length).toBeLessThanOrEqual(1024);
    expect(bar.cells.reduce((n, c) => n + c.count, 0)).toBe(32256);
    const last = bar.cells[bar.cells.length - 1];
    expect(last.endPort).toBe(65535);
    expect(last.holders.map((h) => h.targetRef.name)).toEqual(['z']);
  });
});

describe('nicColour', () => {
  it('is stable per uid and differs between uids', () => {
    expect(nicColour('uid-a')).toBe(nicColour('uid-a'));
    expect(nicColour('uid-a')).not.toBe(nicColour('uid-b'));
    expect(nicColour('uid-a')).toMatch(/^hsl\(\d+ 70% 38%\)$/);
  });
});
