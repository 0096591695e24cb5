import { type NatRule, partitionNatRules, sortNatRules } from '@natgw/domain';
import type { DataplaneBackend, NatApplyResult } from '../dataplane-backend';
import { DataplaneApplyError } from '../dataplane-errors';

/** The memory backend's model of the node. */
export interface MemoryBackendOptions {
  /**
   * Keep networks apart, as the nftables backend does with DATAPLANE_NETWORK_INTERFACE set: NICs
   * are told apart by (vni, private IP), so networks may reuse addresses. Unset: one address
   * space for the node.
   */
  readonly networkInterface?: string;
}

/**
 * A dataplane that lives in memory, for development and tests. It accepts and rejects rules
 * exactly as the nftables backend does (partitionNatRules, incumbent wins), so tests on it see the
 * same conflicts. Tests can tamper with it to simulate drift, make applies fail to exercise
 * retries, and take network interfaces away.
 */
export class MemoryBackend implements DataplaneBackend {
  readonly name = 'memory';
  private rules: NatRule[] = [];
  private failuresLeft = 0;
  private failureMessage = '';
  private applies = 0;
  private readonly missingNetworks = new Set<number>();

  constructor(private readonly options: MemoryBackendOptions = {}) {}

  async apply(desired: readonly NatRule[]): Promise<NatApplyResult> {
    const network = this.options.networkInterface !== undefined;
    const { accepted, rejected } = partitionNatRules(desired, {
      addressSpace: network ? 'network' : 'node',
      incumbents: this.rules,
      networkPresent: (vni) => !this.missingNetworks.has(vni),
    });
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new DataplaneApplyError(this.name, 'the in-memory table', 1, this.failureMessage);
    }
    this.rules = accepted;
    this.applies += 1;
    return { rejected };
  }

  async read(): Promise<NatRule[]> {
    return this.rules.map((rule) => ({ ...rule }));
  }

  async remove(): Promise<void> {
    this.rules = [];
  }

  /** Changes the table behind the executor's back, as a hand edit or a reboot would. */
  tamper(edit: (rules: NatRule[]) => NatRule[]): void {
    this.rules = sortNatRules(edit(this.rules.map((rule) => ({ ...rule }))));
  }

  /** Makes the next `count` applies fail with DataplaneApplyError carrying `message`. */
  failNextApplies(count: number, message = 'simulated dataplane failure'): void {
    this.failuresLeft = count;
    this.failureMessage = message;
  }

  /**
   * Network mode: takes the interface of network `vni` away (or gives it back): its rules are
   * rejected with NetworkInterfaceMissing from the next apply on, and they stop being in effect.
   */
  setNetworkInterfacePresent(vni: number, present: boolean): void {
    if (present) this.missingNetworks.delete(vni);
    else {
      this.missingNetworks.add(vni);
      this.rules = this.rules.filter((rule) => rule.vni !== vni);
    }
  }

  /** How many applies succeeded so far. */
  get appliedCount(): number {
    return this.applies;
  }
}
