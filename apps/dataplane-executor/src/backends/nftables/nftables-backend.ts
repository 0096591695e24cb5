import {
  type NatRule,
  type NatRuleProblem,
  canonicalNatRule,
  findNatRuleProblems,
  natRuleKey,
  sameNatRule,
  sortNatRules,
} from '@natgw/domain';
import type { DataplaneBackend, NatApplyResult } from '../dataplane-backend';
import {
  DataplaneApplyError,
  DataplaneError,
  DataplaneReadError,
  DataplaneRulesRejectedError,
} from '../dataplane-errors';
import { encodeNatElementComment } from './nat-element-comment';
import type { NftJson } from './nat-table-layout';
import { type NftRunner, processNftRunner } from './nft-runner';
import { type NatTableInspection, parseNatRuleset } from './parse-nat-ruleset';
import { renderNatChanges } from './render-nat-changes';
import { renderNatRuleset, renderRemoveTable } from './render-nat-ruleset';

/** Configuration of the nftables backend (DATAPLANE_NETNS, DATAPLANE_UPLINK). */
export interface NftablesBackendOptions {
  /** Network namespace to program; the process's own when unset. */
  readonly netns?: string;
  /** Interfaces toward the internet: NAT applies to traffic leaving through them. At least one. */
  readonly uplinks: readonly string[];
  /** natgw's table (family inet); `natgw` by default. */
  readonly table?: string;
  /** The nft binary; `nft` from PATH by default. */
  readonly nftPath?: string;
  /** Upper bound for one nft invocation. */
  readonly timeoutMs?: number;
  /**
   * Apply small changes as element additions and deletions against the last state read back or
   * applied, instead of redefining the table (true by default). Either way it is one transaction.
   */
  readonly incremental?: boolean;
}

/** The configuration was invalid; names the option. */
export class NftablesConfigError extends DataplaneError {
  constructor(message: string) {
    super('nftables', `nftables: ${message}`);
  }
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// Linux allows almost anything in an interface name; these are the characters natgw can quote
// safely and an operator would use.
const IFNAME = /^[A-Za-z0-9_.@-]{1,15}$/;

function validate(options: NftablesBackendOptions): void {
  const table = options.table ?? 'natgw';
  if (!TABLE_NAME.test(table)) throw new NftablesConfigError(`table name "${table}" is not valid`);
  if (
    options.netns !== undefined &&
    (!NETNS_NAME.test(options.netns) || /^\.+$/.test(options.netns))
  ) {
    throw new NftablesConfigError(`DATAPLANE_NETNS "${options.netns}" is not a namespace name`);
  }
  if (options.uplinks.length === 0) {
    throw new NftablesConfigError('DATAPLANE_UPLINK must name at least one interface');
  }
  for (const uplink of options.uplinks) {
    if (!IFNAME.test(uplink)) {
      throw new NftablesConfigError(`DATAPLANE_UPLINK "${uplink}" is not an interface name`);
    }
  }
  if (new Set(options.uplinks).size !== options.uplinks.length) {
    throw new NftablesConfigError(`DATAPLANE_UPLINK names an interface twice`);
  }
}

/** Problems only this backend has: one namespace cannot tell two NICs with one address apart. */
function nftablesProblems(rules: readonly NatRule[]): NatRuleProblem[] {
  const problems: NatRuleProblem[] = [];
  const byAddress = new Map<string, NatRule>();
  for (const rule of rules) {
    const key = natRuleKey(rule);
    const address = `${rule.family}/${rule.privateIp}`;
    const other = byAddress.get(address);
    if (other) {
      problems.push({
        key,
        message:
          `NAT rule ${key}: private IP ${rule.privateIp} is also NIC ${other.nicUid}'s; ` +
          'nftables matches NICs by source address, so they cannot share a node',
      });
    }
    byAddress.set(address, rule);
    if (encodeNatElementComment(rule) === undefined) {
      problems.push({
        key,
        message: `NAT rule ${key}: nicUid and gatewayUid are too long for an nft element comment`,
      });
    }
  }
  return problems;
}

/**
 * natgw's NAT on Linux: one nftables table (family inet, `natgw` by default) that natgw owns
 * entirely and never looks beyond. Per-packet cost does not grow with the number of NICs: NICs
 * are set and map elements, never rules. Read-back parses `nft -j list table`. See
 * docs/dataplane.md.
 *
 * Every apply is one `nft -f` transaction. The first apply, and any apply after a failure or
 * after a read that found the table missing or tampered with, redefines the whole table. Otherwise
 * a small change is sent as element additions and deletions against the last state this backend
 * read back or applied; if that state is no longer what the kernel holds, nft refuses the
 * transaction and the backend falls back to redefining the table. Drift that a transaction cannot
 * notice is found by the next read(), which is the authority.
 */
export class NftablesBackend implements DataplaneBackend {
  readonly name = 'nftables';
  readonly table: string;
  readonly uplinks: readonly string[];
  readonly netns: string | undefined;
  private readonly run: NftRunner;
  private readonly incremental: boolean;
  /** Canonical rules the table is believed to hold exactly; undefined when unknown. */
  private known: NatRule[] | undefined;
  /** Calls run one at a time so that `known` always matches the last transaction. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: NftablesBackendOptions, runner?: NftRunner) {
    validate(options);
    this.table = options.table ?? 'natgw';
    this.uplinks = [...options.uplinks];
    this.netns = options.netns;
    this.incremental = options.incremental ?? true;
    this.run =
      runner ??
      processNftRunner({
        netns: options.netns,
        nftPath: options.nftPath,
        timeoutMs: options.timeoutMs,
      });
  }

  /** "table inet natgw (netns gw)", for messages. */
  get target(): string {
    return `table inet ${this.table}${this.netns ? ` (netns ${this.netns})` : ''}`;
  }

  /** The full ruleset text for `desired`; throws DataplaneRulesRejectedError. */
  render(desired: readonly NatRule[]): string {
    const rules = sortNatRules(this.validated(desired));
    return renderNatRuleset(rules, { table: this.table, uplinks: this.uplinks });
  }

  async apply(desired: readonly NatRule[]): Promise<NatApplyResult> {
    const rules = this.validated(desired);
    await this.serialized(async () => {
      const known = this.known;
      if (this.incremental && known && isSmallChange(known, rules)) {
        const changes = renderNatChanges(known, rules, this.table);
        if (changes === '') return;
        this.known = undefined;
        const result = await this.run(['-f', '-'], changes);
        if (result.code === 0) {
          this.known = rules;
          return;
        }
        // The table is not what we believed (edited, deleted, rebooted): redefine it.
      }
      await this.replaceTable(rules);
    });
    return { rejected: [] };
  }

  /** Redefines the whole table in one transaction, whatever the backend believes it holds. */
  async applyFull(desired: readonly NatRule[]): Promise<void> {
    const rules = this.validated(desired);
    await this.serialized(() => this.replaceTable(rules));
  }

  async read(): Promise<NatRule[]> {
    return (await this.inspect()).rules;
  }

  /** read() with the detail: whether the table exists, and every problem found in it. */
  async inspect(): Promise<NatTableInspection> {
    return this.serialized(async () => {
      const inspection = await this.readTable();
      this.known =
        inspection.present && inspection.problems.length === 0 ? inspection.rules : undefined;
      return inspection;
    });
  }

  async remove(): Promise<void> {
    await this.serialized(async () => {
      this.known = undefined;
      await this.transact(renderRemoveTable(this.table));
    });
  }

  /** Canonical copies of valid rules (in the caller's order); throws when any is invalid. */
  private validated(desired: readonly NatRule[]): NatRule[] {
    const rules = desired.map(canonicalNatRule);
    const problems = [...findNatRuleProblems(rules), ...nftablesProblems(rules)];
    if (problems.length > 0) throw new DataplaneRulesRejectedError(this.name, problems);
    return rules;
  }

  private async replaceTable(rules: NatRule[]): Promise<void> {
    this.known = undefined;
    const text = renderNatRuleset(sortNatRules(rules), {
      table: this.table,
      uplinks: this.uplinks,
    });
    await this.transact(text);
    this.known = rules;
  }

  private async readTable(): Promise<NatTableInspection> {
    const result = await this.run(['-j', 'list', 'table', 'inet', this.table]);
    if (result.code !== 0) {
      // nft says ENOENT in words when the table is not there: that is a state, not a failure.
      if (result.code === 1 && /^Error: No such file or directory$/m.test(result.stderr)) {
        return { present: false, rules: [], ineffective: [], problems: [] };
      }
      throw new DataplaneReadError(this.name, this.target, result.stderr || `exit ${result.code}`);
    }
    let document: NftJson;
    try {
      document = JSON.parse(result.stdout) as NftJson;
    } catch (error) {
      throw new DataplaneReadError(
        this.name,
        this.target,
        `nft -j printed no JSON: ${String(error)}`,
      );
    }
    return parseNatRuleset(document, { table: this.table, uplinks: this.uplinks });
  }

  private async transact(ruleset: string): Promise<void> {
    const result = await this.run(['-f', '-'], ruleset);
    if (result.code !== 0) {
      throw new DataplaneApplyError(this.name, this.target, result.code, result.stderr);
    }
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Whether element edits are worth it: a full redefinition is simpler for big changes. */
function isSmallChange(from: readonly NatRule[], to: readonly NatRule[]): boolean {
  const before = new Map(from.map((r) => [natRuleKey(r), r]));
  let changed = 0;
  for (const rule of to) {
    const old = before.get(natRuleKey(rule));
    before.delete(natRuleKey(rule));
    if (!old || !sameNatRule(old, rule) || old.nicName !== rule.nicName) changed += 1;
  }
  changed += before.size;
  return changed <= Math.max(256, to.length / 8);
}
