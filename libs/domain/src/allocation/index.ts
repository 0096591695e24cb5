// Pure allocation logic: port slots, public IP pools, eligibility, planning, the allocation
// decider and the NAT table. Named exports keep the public surface explicit.

/** Port slot math: 1024..65535 split into slots of portsPerNetworkInterface ports. */
export {
  DEFAULT_PORTS_PER_NETWORK_INTERFACE,
  FIRST_NAT_PORT,
  LAST_NAT_PORT,
  MAX_PORTS_PER_NETWORK_INTERFACE,
  NAT_PORT_COUNT,
  assertValidPortsPerNetworkInterface,
  slotIndexOf,
  slotPortRange,
  slotsPerIp,
  validatePortsPerNetworkInterface,
  type PortRange,
} from './port-slots';

/** Addresses: family, canonical spelling, numeric order. */
export {
  IP_FAMILIES,
  canonicalIp,
  compareIps,
  compareNumericIps,
  familyBits,
  formatIp,
  ipFamilyOf,
  isIpFamily,
  isValidIp,
  parseIp,
  sortIps,
  type IpFamily,
  type NumericIp,
} from './addresses';

/** CIDR prefixes: parsing, size, containment, lazy enumeration. */
export {
  canonicalPrefix,
  comparePrefixes,
  parsePrefix,
  prefixAddressAt,
  prefixAddresses,
  prefixContains,
  prefixContainsNumeric,
  prefixesOverlap,
  prefixSize,
  type IpPrefix,
} from './ip-prefix';

/** Address blocks a public IP pool may not overlap. */
export { NON_PUBLIC_RANGES, nonPublicRangeOf, type NonPublicRange } from './non-public-ranges';

/** The IP pool decider (stream `ippool:<name>`) and its queries. */
export {
  IP_POOL_EVENT_TYPES,
  decidePool,
  evolvePool,
  foldPool,
  freeIps,
  hasFamily,
  initialIpPoolState,
  ipsClaimedBy,
  lowestFreeIps,
  poolUsage,
  prefixOf,
  type AddPrefix,
  type ClaimIp,
  type IpPoolCommand,
  type IpPoolEvent,
  type IpPoolState,
  type PrefixUsage,
  type PublicIPClaimed,
  type PublicIPReleased,
  type PublicPrefixAdded,
  type PublicPrefixRemoved,
  type ReleaseGatewayIps,
  type ReleaseIp,
  type RemovePrefix,
} from './ip-pool';

/** Which NICs each gateway serves. */
export {
  canServe,
  compareByCreation,
  sortByCreation,
  eligibleNicsByGateway,
  eligibleNicsForGateway,
  hasPublicIpOfFamily,
  privateIpOfFamily,
  servingGateway,
  type CreationOrdered,
  type EligibleNic,
  type NatGatewayInput,
  type NetworkInterfaceInput,
} from './eligibility';

/** The allocation stream (`allocation:<gateway uid>`): events, state, evolve. */
export {
  ALLOCATION_EVENT_TYPES,
  evolveAllocation,
  foldAllocation,
  initialAllocationState,
  replayAllocation,
  type AllocationClosed,
  type AllocationEvent,
  type AllocationPending,
  type AllocationPendingReason,
  type AllocationPendingRecorded,
  type AllocationSatisfied,
  type AllocationState,
  type NATGatewayIPAssigned,
  type NATGatewayIPReleased,
  type NATSlotAssigned,
  type NATSlotReleased,
  type NatSlot,
  type SlotReleaseReason,
  // drain (issue 17.1)
  retiringSlotKey,
  type DrainingIp,
  type NATIPDrainCancelled,
  type NATIPDrainStarted,
  type NATRetiringSlotReleased,
  type NATSlotRetiring,
  type RetiringSlot,
  type RetiringSlotReleaseReason,
} from './allocation-state';

/** Drain: which IPs drain, which retiring slots stay, and when the allocator must look again. */
export {
  DEFAULT_DRAIN_DEADLINE_SECONDS,
  MAX_DRAIN_DEADLINE_SECONDS,
  deadlinePassed,
  decideDrains,
  keepRetiringSlots,
  nextDrainDeadline,
  type DrainDecision,
  type DrainRequest,
  type RetiringOutcome,
} from './drain-plan';

/** Target allocation of one gateway from current state. */
export {
  capPublicIpBounds,
  DEFAULT_PUBLIC_IP_BOUNDS,
  planAllocation,
  validatePublicIpBounds,
  type AllocationPlan,
  type AllocationUsage,
  type PlanAllocationInput,
  type PublicIpBounds,
} from './plan-allocation';

/** The allocation decider: plan or deletion -> minimal events. */
export {
  decideAllocation,
  type AllocationCommand,
  type ApplyAllocationPlan,
  type CloseAllocation,
} from './allocation-decider';

/** Status helpers: usage counters and the pending condition message. */
export { allocationUsage, describePending } from './allocation-status';

/** The Ironcore-shaped NAT table of a gateway. */
export {
  natTableFromSlots,
  natTableOf,
  type GatewayNatTable,
  type NatTableIp,
  type NatTableSection,
  type NatTableTargetRef,
} from './nat-table';

/** An event as a decider returns it (structurally a NewEvent). */
export type { DecidedEvent } from './decided-event';

/** Typed errors, one per broken rule. */
export {
  AllocationClosedError,
  AllocationError,
  InvalidAllocationInputError,
  InvalidAllocationPlanError,
  InvalidCreationTimestampError,
  InvalidIpAddressError,
  InvalidPortsPerNetworkInterfaceError,
  InvalidPrefixError,
  InvalidPublicIpBoundsError,
  IpAlreadyClaimedError,
  IpClaimedByAnotherGatewayError,
  IpFamilyMismatchError,
  IpNotInPoolError,
  NoAllocatorForFamilyError,
  PoolExhaustedError,
  PrefixInUseError,
  PrefixOverlapError,
  SlotIndexOutOfRangeError,
} from './errors';

/** When a kept slot no longer describes its NIC (private IP, node, VNI) and is assigned again. */
export { sameSlot, staleSlotDetail, type StaleSlotDetail } from './stale-slot';

/** Dynamic port allocation (issue 17.4): aligned power-of-two slots that grow and shrink with usage. */
export {
  DEFAULT_DPA_GROW_AT_PERCENT,
  DEFAULT_DPA_MAX_PORTS,
  DEFAULT_DPA_MIN_PORTS,
  DEFAULT_DPA_SHRINK_AFTER_SECONDS,
  DPA_MOVED_BLOCK_RETIRE_SECONDS,
  DPA_GROW_AT_PERCENT_BOUNDS,
  DPA_SHRINK_AFTER_SECONDS_BOUNDS,
  alignedBlockAt,
  dynamicSlotUnits,
  nextShrinkDue,
  resizeWish,
  validateDynamicPortAllocation,
  type DynamicPortAllocation,
  type ResizeWish,
  type SlotUsage,
} from './dynamic-ports';
