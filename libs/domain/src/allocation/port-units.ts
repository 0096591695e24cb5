// --- dynamic port allocation (issue 17.4): which units of each IP are taken ---------------

/** A free place for a new slot: the IP and the unit it starts at. */
export interface FreeUnit {
  readonly ip: string;
  readonly index: number;
}

/**
 * The units (blocks of minPorts ports) of the IPs that take slots, each free or taken, for a
 * plan with dynamic port allocation. Newcomers take the start of the largest free aligned block
 * (up to maxUnits), on the lowest IP, at the lowest port: spreading NICs out leaves each one
 * room to grow in place (its buddy stays free as long as possible), while a unit is still found
 * whenever one is free, so the IP count the planner computed in units still fits everyone.
 */
export class PortUnits {
  private readonly taken = new Map<string, Uint8Array>();
  /** Per block size: the first global block position that may still be free. */
  private readonly cursor = new Map<number, number>();

  constructor(
    private readonly ips: readonly string[],
    private readonly unitsPerIp: number,
    private readonly maxUnits: number,
  ) {
    for (const ip of ips) this.taken.set(ip, new Uint8Array(unitsPerIp));
  }

  /** Marks units [first, first + count) of ip taken (units outside the IPs are ignored). */
  occupy(ip: string, first: number, count: number): void {
    const units = this.taken.get(ip);
    if (units === undefined) return;
    units.fill(1, Math.max(0, first), Math.min(this.unitsPerIp, first + count));
  }

  /** True when units [first, first + count) of ip exist and none is taken. */
  isFree(ip: string, first: number, count: number): boolean {
    const units = this.taken.get(ip);
    if (units === undefined || first < 0 || first + count > this.unitsPerIp) return false;
    for (let i = first; i < first + count; i++) if (units[i] !== 0) return false;
    return true;
  }

  /** Takes one unit for a newcomer on an IP `fits` accepts, or undefined when none is free. */
  take(fits: (ip: string) => boolean): FreeUnit | undefined {
    for (let size = this.maxUnits; size >= 1; size = size / 2) {
      const found = this.findBlock(size, fits);
      if (found !== undefined) {
        this.occupy(found.ip, found.index, 1);
        return found;
      }
    }
    return undefined;
  }

  /**
   * Takes the first free aligned block of `size` units (lowest IP, then port) on an IP `fits`
   * accepts; undefined when there is none.
   */
  takeBlock(size: number, fits: (ip: string) => boolean): FreeUnit | undefined {
    const found = this.findBlock(size, fits);
    if (found !== undefined) this.occupy(found.ip, found.index, size);
    return found;
  }

  /**
   * The first free aligned block of `size` units on an IP that fits. Blocks only ever get taken
   * while a plan places NICs, so the blocks before the cursor stay taken: the scan resumes there.
   */
  private findBlock(size: number, fits: (ip: string) => boolean): FreeUnit | undefined {
    const perIp = Math.floor(this.unitsPerIp / size);
    const total = perIp * this.ips.length;
    let position = this.cursor.get(size) ?? 0;
    let advance = true;
    for (; position < total; position++) {
      const ip = this.ips[Math.floor(position / perIp)] as string;
      const index = (position % perIp) * size;
      if (!this.isFree(ip, index, size)) {
        if (advance) this.cursor.set(size, position + 1);
        continue;
      }
      advance = false;
      if (fits(ip)) return { ip, index };
    }
    return undefined;
  }
}
// --- end dynamic port allocation ------------------------------------------------------------
