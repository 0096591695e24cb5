import { FIRST_NAT_PORT, NAT_PORT_COUNT } from '@natgw/domain';
import type { NATTable, NATTableSection } from '@natgw/contracts';

/** One cell of a public IP's bar: `count` consecutive slots and the sections that hold them. */
export interface SlotCell {
  /** The first slot of the cell (0-based). */
  index: number;
  count: number;
  port: number;
  endPort: number;
  holders: NATTableSection[];
}

export interface SlotBar {
  ip: string;
  totalSlots: number;
  usedSlots: number;
  cells: SlotCell[];
}

/** At most this many cells per bar; beyond it each cell stands for several slots. */
export const MAX_CELLS = 1024;

/**
 * Lays a NAT table out as one bar per public IP: every slot of portsPerNetworkInterface
 * ports from port 1024 on, grouped into at most MAX_CELLS cells, each with the sections
 * (NICs) whose port range falls in it.
 */
export function slotBars(table: Pick<NATTable, 'ips'>, portsPerNic: number): SlotBar[] {
  const totalSlots = Math.floor(NAT_PORT_COUNT / portsPerNic);
  const perCell = Math.ceil(totalSlots / MAX_CELLS);
  const cellCount = Math.ceil(totalSlots / perCell);
  return table.ips.map((entry) => {
    const cells: SlotCell[] = [];
    for (let c = 0; c < cellCount; c++) {
      const index = c * perCell;
      const count = Math.min(perCell, totalSlots - index);
      const port = FIRST_NAT_PORT + index * portsPerNic;
      cells.push({ index, count, port, endPort: port + count * portsPerNic - 1, holders: [] });
    }
    for (const section of entry.sections) {
      const slot = Math.floor((section.port - FIRST_NAT_PORT) / portsPerNic);
      const cell = cells[Math.floor(slot / perCell)];
      if (cell) cell.holders.push(section);
    }
    return { ip: entry.ip, totalSlots, usedSlots: entry.sections.length, cells };
  });
}

/** A stable colour per NIC uid: a hue from the uid's hash, dark enough for white text. */
export function nicColour(uid: string): string {
  let h = 2166136261;
  for (let i = 0; i < uid.length; i++) {
    h ^= uid.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  const hue = (h >>> 0) % 360;
  return `hsl(${hue} 70% 38%)`;
}
