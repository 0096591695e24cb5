import { type NatRule, findNatRuleProblems, sortNatRules } from '@natgw/domain';
import type { DataplaneBackend, NatApplyResult } from '../dataplane-backend';
import { DataplaneApplyError, DataplaneRulesRejectedError } from '../dataplane-errors';

/**
 * A dataplane that lives in memory, for development and tests. Tests can tamper with it to
 * simulate drift, and make applies fail to exercise retries.
 */
export class MemoryBackend implements DataplaneBackend {
  readonly name = 'memory';
  private rules: NatRule[] = [];
  private failuresLeft = 0;
  private failureMessage = '';
  private applies = 0;

  async apply(desired: readonly NatRule[]): Promise<NatApplyResult> {
    const problems = findNatRuleProblems(desired);
    if (problems.length > 0) throw new DataplaneRulesRejectedError(this.name, problems);
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new DataplaneApplyError(this.name, 'the in-memory table', 1, this.failureMessage);
    }
    this.rules = sortNatRules(desired);
    this.applies += 1;
    return { rejected: [] };
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

  /** How many applies succeeded so far. */
  get appliedCount(): number {
    return this.applies;
  }
}
