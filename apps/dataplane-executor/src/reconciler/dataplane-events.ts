import { NAT_PORT_USAGE_REPORTED, NAT_TABLE_PROGRAMMED } from '@natgw/projections';

/** The dataplane saw NAT rules that differ from what the executor last applied. */
export const DRIFT_DETECTED = 'DriftDetected';
/** A second read after the repair found the dataplane equal to the log again. */
export const DRIFT_REPAIRED = 'DriftRepaired';
/** Programming the dataplane failed (recorded once per distinct error). */
export const DATAPLANE_APPLY_FAILED = 'DataplaneApplyFailed';

/**
 * The node's dataplane left some NICs' rules out (an address clash, a missing network
 * interface); recorded when the set of rejections changes, not on every pass.
 */
export const NAT_RULES_REJECTED = 'NATRulesRejected';

/** Every event type of a `dataplane:<node>` stream. */
export const DATAPLANE_EVENT_TYPES: readonly string[] = [
  DRIFT_DETECTED,
  DRIFT_REPAIRED,
  DATAPLANE_APPLY_FAILED,
  NAT_RULES_REJECTED,
  NAT_TABLE_PROGRAMMED,
  NAT_PORT_USAGE_REPORTED,
];
