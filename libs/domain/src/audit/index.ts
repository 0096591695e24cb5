// Time travel over the log: who held a public address and port, and what a
// gateway's NAT table was, at any past instant.

/** Allocation state, NAT tables and slot holders at an instant. */
export {
  allocationStatesAt,
  natTablesAt,
  slotHolderAt,
  type PublicEndpoint,
  type SlotHolder,
  type TimedAllocationEvent,
} from './allocation-history';

/** Which incarnation (uid) of a named object existed at an instant. */
export { incarnationAt, type TimedLifecycleEvent } from './incarnation';
