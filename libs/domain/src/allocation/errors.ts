import type { IpFamily } from './addresses';

/** Base class of every allocation rule violation, so callers can map them to API errors in one place. */
export class AllocationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A string that is not an IPv4 (four-part decimal) or IPv6 address. */
export class InvalidIpAddressError extends AllocationError {
  constructor(readonly value: string) {
    super(`${JSON.stringify(value)} is not a valid IPv4 or IPv6 address`);
  }
}

/** A string that is not a CIDR prefix, or a prefix with host bits set. */
export class InvalidPrefixError extends AllocationError {
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid prefix ${JSON.stringify(value)}: ${reason}`);
  }
}

/** portsPerNetworkInterface breaks a slot rule (power of 2, at least one slot per IP). */
export class InvalidPortsPerNetworkInterfaceError extends AllocationError {
  constructor(
    readonly portsPerNetworkInterface: number,
    readonly problems: readonly string[],
  ) {
    super(`invalid portsPerNetworkInterface: ${problems.join('; ')}`);
  }
}

/** A slot index outside 0..slotsPerIp-1 for the given portsPerNetworkInterface. */
export class SlotIndexOutOfRangeError extends AllocationError {
  constructor(
    readonly portsPerNetworkInterface: number,
    readonly slotIndex: number,
    readonly slotsPerIp: number,
  ) {
    super(
      `slot ${slotIndex} does not exist with portsPerNetworkInterface ${portsPerNetworkInterface}: ` +
        `an IP holds slots 0..${slotsPerIp - 1}`,
    );
  }
}

/** minPublicIPs/maxPublicIPs that are not non-negative integers with min <= max. */
export class InvalidPublicIpBoundsError extends AllocationError {
  constructor(
    readonly minPublicIPs: number,
    readonly maxPublicIPs: number,
    readonly problems: readonly string[],
  ) {
    super(`invalid public IP bounds [${minPublicIPs}, ${maxPublicIPs}]: ${problems.join('; ')}`);
  }
}

/** A creation timestamp that cannot be parsed, so creation order is undefined. */
export class InvalidCreationTimestampError extends AllocationError {
  constructor(
    readonly kind: string,
    readonly uid: string,
    readonly createdAt: string,
  ) {
    super(`${kind} ${uid} has an invalid createdAt ${JSON.stringify(createdAt)} (want RFC 3339)`);
  }
}

/** A prefix that shares addresses with a prefix already in the pool. */
export class PrefixOverlapError extends AllocationError {
  constructor(
    readonly prefix: string,
    readonly existingPrefix: string,
  ) {
    super(`prefix ${prefix} overlaps prefix ${existingPrefix} already in the pool`);
  }
}

/** Removing a prefix whose addresses are still claimed by gateways. */
export class PrefixInUseError extends AllocationError {
  constructor(
    readonly prefix: string,
    readonly claimedIps: readonly string[],
  ) {
    super(
      `prefix ${prefix} cannot be removed: ${claimedIps.length} of its addresses ` +
        `${claimedIps.length === 1 ? 'is' : 'are'} still claimed (e.g. ${claimedIps[0] ?? '?'})`,
    );
  }
}

/** A claim for a family that no prefix of the pool covers. */
export class NoAllocatorForFamilyError extends AllocationError {
  constructor(readonly family: IpFamily) {
    super(`no allocator for IPs of family ${family}`);
  }
}

/** Every address of the family's prefixes is already claimed. */
export class PoolExhaustedError extends AllocationError {
  constructor(readonly family: IpFamily) {
    super(`all IP addresses are already allocated (family ${family})`);
  }
}

/** A specific address asked for in the wrong family. */
export class IpFamilyMismatchError extends AllocationError {
  constructor(
    readonly ip: string,
    readonly family: IpFamily,
  ) {
    super(`IP should have family ${family}: ${ip} does not`);
  }
}

/** A specific address that no prefix of the pool contains. */
export class IpNotInPoolError extends AllocationError {
  constructor(readonly ip: string) {
    super(`IP ${ip} is not in any prefix of the pool`);
  }
}

/** A specific address already claimed by another gateway. */
export class IpAlreadyClaimedError extends AllocationError {
  constructor(
    readonly ip: string,
    readonly claimedBy: string,
  ) {
    super(`IP ${ip} is already allocated to gateway ${claimedBy}`);
  }
}

/** A gateway trying to release an address that another gateway holds. */
export class IpClaimedByAnotherGatewayError extends AllocationError {
  constructor(
    readonly ip: string,
    readonly claimedBy: string,
    readonly requestedBy: string,
  ) {
    super(`gateway ${requestedBy} cannot release IP ${ip}: it is claimed by gateway ${claimedBy}`);
  }
}

/** Planning or applying an allocation of a gateway that was deleted. */
export class AllocationClosedError extends AllocationError {
  constructor(readonly gatewayUid: string) {
    super(`the allocation of gateway ${gatewayUid} is closed: the gateway was deleted`);
  }
}

/** Planner input that breaks a precondition (a NIC of the wrong family, a duplicate NIC). */
export class InvalidAllocationInputError extends AllocationError {
  constructor(
    readonly gatewayUid: string,
    readonly reason: string,
  ) {
    super(`invalid allocation input for gateway ${gatewayUid}: ${reason}`);
  }
}

/** A plan that would give one port range to two NICs, or a slot on an IP the plan does not hold. */
export class InvalidAllocationPlanError extends AllocationError {
  constructor(
    readonly gatewayUid: string,
    readonly reason: string,
  ) {
    super(`invalid allocation plan for gateway ${gatewayUid}: ${reason}`);
  }
}
