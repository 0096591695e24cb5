import { InvalidPortsPerNetworkInterfaceError, SlotIndexOutOfRangeError } from './errors';

/** The first source port a NAT slot may use; lower ports stay with the host. */
export const FIRST_NAT_PORT = 1024;
/** The last source port a NAT slot may use. */
export const LAST_NAT_PORT = 65535;
/** How many source ports the slots of one public IP share (1024..65535). */
export const NAT_PORT_COUNT = LAST_NAT_PORT - FIRST_NAT_PORT + 1;
/** Ironcore's default portsPerNetworkInterface (raised from 64, which was too low for most uses). */
export const DEFAULT_PORTS_PER_NETWORK_INTERFACE = 2048;
/** The largest power of 2 that still leaves one slot per IP. */
export const MAX_PORTS_PER_NETWORK_INTERFACE = 32768;

/** An inclusive range of source ports: exactly endPort - port + 1 ports. */
export interface PortRange {
  readonly port: number;
  readonly endPort: number;
}

/** The problems with a portsPerNetworkInterface value; empty when it is valid. */
export function validatePortsPerNetworkInterface(ppni: number): string[] {
  // Stryker disable next-line ConditionalExpression: equivalent, a shortcut; the checks below find no problem in a valid value either
  if (isValidPortsPerNetworkInterface(ppni)) return [];
  if (!Number.isInteger(ppni)) return [`${ppni} is not an integer`];
  if (ppni <= 0) return [`${ppni} must be greater than 0`];
  const problems: string[] = [];
  if (!Number.isInteger(Math.log2(ppni))) problems.push(`${ppni} is not a power of 2`);
  // Stryker disable next-line EqualityOperator: equivalent, the maximum itself is valid and returned by the shortcut above
  if (ppni > MAX_PORTS_PER_NETWORK_INTERFACE) {
    problems.push(
      `${ppni} leaves no slot per IP: a slot must fit in the ${NAT_PORT_COUNT} usable ports ` +
        `(${FIRST_NAT_PORT}..${LAST_NAT_PORT}), so at most ${MAX_PORTS_PER_NETWORK_INTERFACE}`,
    );
  }
  return problems;
}

// The common case, checked on every slot of every plan, without building messages.
function isValidPortsPerNetworkInterface(ppni: number): boolean {
  return (
    Number.isInteger(ppni) &&
    ppni > 0 &&
    ppni <= MAX_PORTS_PER_NETWORK_INTERFACE &&
    (ppni & (ppni - 1)) === 0
  );
}

/** Throws InvalidPortsPerNetworkInterfaceError unless ppni is a valid slot size. */
export function assertValidPortsPerNetworkInterface(ppni: number): void {
  const problems = validatePortsPerNetworkInterface(ppni);
  if (problems.length > 0) throw new InvalidPortsPerNetworkInterfaceError(ppni, problems);
}

/** How many slots one public IP holds: floor(64512 / ppni). */
export function slotsPerIp(ppni: number): number {
  assertValidPortsPerNetworkInterface(ppni);
  return Math.floor(NAT_PORT_COUNT / ppni);
}

/** The ports of slot k: [1024 + k*ppni, 1024 + (k+1)*ppni - 1], both inclusive. */
export function slotPortRange(ppni: number, slotIndex: number): PortRange {
  const slots = slotsPerIp(ppni);
  if (!Number.isInteger(slotIndex) || slotIndex < 0 || slotIndex >= slots) {
    throw new SlotIndexOutOfRangeError(ppni, slotIndex, slots);
  }
  const port = FIRST_NAT_PORT + slotIndex * ppni;
  return { port, endPort: port + ppni - 1 };
}

/** The slot index a port range is exactly equal to under ppni, or undefined if it is no such slot. */
export function slotIndexOf(ppni: number, range: PortRange): number | undefined {
  const offset = range.port - FIRST_NAT_PORT;
  if (!Number.isInteger(offset) || offset < 0 || offset % ppni !== 0) return undefined;
  if (range.endPort - range.port + 1 !== ppni) return undefined;
  const index = offset / ppni;
  return index < slotsPerIp(ppni) ? index : undefined;
}
