import {
  IncrementalNatPartition,
  type NatPartitionChange,
  type NatRule,
  type NatRulePartitionOptions,
  type RejectedNatRule,
  isVni,
  natRuleKey,
  partitionNatRules,
  sameNatRule,
} from '@natgw/domain';
import type { DataplaneBackend, NatApplyResult } from '../dataplane-backend';
import { DataplaneApplyError, DataplaneError, DataplaneReadError } from '../dataplane-errors';
import { natElementCommentFits } from './nat-element-comment';
import type { NatTableMode, NftJson } from './nat-table-layout';
import {
  type RouteFamily,
  type RoutingDump,
  ROUTE_FAMILIES,
  renderRoutingChanges,
  renderRoutingRepair,
  routingProblems,
} from './network-routing';
import {
  type NftResult,
  type NftRunner,
  type PendingStream,
  type StreamInput,
  type StreamingRunner,
  pendingStream,
  processIpRunner,
  processNftRunner,
} from './nft-runner';
import {
  MAX_NETWORK_ID,
  type NatTableInspection,
  type NatTableProblem,
  UNEXPECTED_CONTENT_NIC_UID,
  parseNatRuleset,
} from './parse-nat-ruleset';
import {
  bookUsage,
  renderNatChanges,
  renderNatDelta,
  timeoutProfileChange,
} from './render-nat-changes';
import { timeoutProfileKeys } from './nat-timeouts-layout';
import {
  type FamilyRouting,
  interfaceNames,
  listInterfaces,
  readFamilyRouting,
  routingDump,
} from './routing-read';
import { RenderedTable } from './rendered-table';
import { RulesetWatch, type StartMonitor, nftMonitorProcess } from './ruleset-watch';
import {
  type NatNetwork,
  type NatTableLayout,
  SHARED_LAYOUT,
  renderNatRuleset,
  renderRemoveTable,
} from './render-nat-ruleset';

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
  /**
   * DATAPLANE_NETWORK_INTERFACE: the name of a network's interface, with `{vni}` standing for the
   * network's VNI (e.g. `vni{vni}`). Set, the table keeps networks apart (network mode: NAT keyed
   * by network and private address, conntrack zones, marks and policy routing); unset, the node
   * is one shared address space.
   */
  readonly networkInterface?: string;
  /**
   * How the ruleset is watched for other processes' transactions (`nft monitor` by default when
   * the backend runs the real nft; tests give their own, or false for no watch: then
   * unchangedSinceLastSync() is always false and every pass reads back).
   */
  readonly watch?: StartMonitor | false;
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
  const template = options.networkInterface;
  if (template !== undefined) {
    const longest = template.replace('{vni}', '16777215');
    if (template.split('{vni}').length !== 2 || !IFNAME.test(longest)) {
      throw new NftablesConfigError(
        `DATAPLANE_NETWORK_INTERFACE "${template}" must hold {vni} once and make interface ` +
          `names of at most 15 characters of A-Z a-z 0-9 _ . @ - (with vni 16777215: "${longest}")`,
      );
    }
    if (options.uplinks.some((uplink) => vniOfInterface(template, uplink) !== undefined)) {
      throw new NftablesConfigError('DATAPLANE_UPLINK names a network interface');
    }
  }
}

/** The interface name of network `vni`. */
function interfaceOf(template: string, vni: number): string {
  return template.replace('{vni}', String(vni));
}

/** The vni whose interface `ifname` is, or undefined. */
function vniOfInterface(template: string, ifname: string): number | undefined {
  const [head, tail] = template.split('{vni}') as [string, string];
  if (!ifname.startsWith(head) || !ifname.endsWith(tail)) return undefined;
  const digits = ifname.slice(head.length, ifname.length - tail.length);
  if (!/^[1-9][0-9]{0,7}$/.test(digits)) return undefined;
  const vni = Number(digits);
  return isVni(vni) ? vni : undefined;
}

/** An nftables limit on single rules: the element comment must hold the uids. */
function commentProblem(rule: NatRule): string | undefined {
  return !natElementCommentFits(rule)
    ? 'nicUid and gatewayUid are too long for an nft element comment'
    : undefined;
}

/** A table natgw believes the kernel holds exactly. */
interface KnownTable {
  readonly rules: NatRule[];
  readonly layout: NatTableLayout;
}

/**
 * natgw's NAT on Linux: one nftables table (family inet, `natgw` by default) that natgw owns
 * entirely and never looks beyond, plus in network mode natgw's ip rules and routing tables.
 * Per-packet cost does not grow with the number of NICs: NICs are set and map elements, never
 * rules. Read-back parses `nft -j list table` (and `ip -j rule` / `ip -j route`). See
 * docs/dataplane.md.
 *
 * Every apply programs every valid rule (partitionNatRules, incumbent wins) and returns the rest.
 * It is one `nft -f` transaction. The first apply, and any apply after a failure or after a read
 * that found the table missing or tampered with, redefines the whole table. Otherwise a small
 * change is sent as element additions and deletions against the last state this backend read
 * back or applied; if that state is no longer what the kernel holds, nft refuses the transaction
 * and the backend falls back to redefining the table. Routing is synced the same way: small
 * changes against the known state, otherwise read and repaired. Drift that a transaction cannot
 * notice is found by the next read(), which is the authority.
 */
export class NftablesBackend implements DataplaneBackend {
  readonly name = 'nftables';
  readonly table: string;
  readonly uplinks: readonly string[];
  readonly netns: string | undefined;
  /** DATAPLANE_NETWORK_INTERFACE; undefined in shared mode. */
  readonly networkInterface: string | undefined;
  private readonly run: NftRunner;
  private readonly ip: NftRunner;
  private readonly incremental: boolean;
  /** The table the kernel is believed to hold exactly; undefined when unknown. */
  private known: KnownTable | undefined;
  /** Network mode: the networks whose routing is believed exactly right; undefined when unknown. */
  private knownRouting: ReadonlyMap<number, NatNetwork> | undefined;
  /**
   * Network mode: the id of each network on the node, as last read back or applied. Ids stay
   * stable while a network has NICs here, across restarts (read back from the table), because
   * conntrack entries carry them.
   */
  private networks: ReadonlyMap<number, NatNetwork> | undefined;
  /** The rules last seen in effect (read back or applied): the incumbents of the next apply. */
  private incumbents: NatRule[] | undefined;
  /** Calls run one at a time so that the known state always matches the last transaction. */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The last partition, kept for the next apply: valid while `incumbents` is the very array of
   * its accepted rules (`partitioned`); a read or a failure replaces or clears them.
   */
  private readonly partitions = new IncrementalNatPartition();
  private partitioned: NatRule[] | undefined;
  /** The last whole-table text sent, for a full sync of the same table. */
  private readonly rendered = new RenderedTable();
  /** Network mode: the namespace's interfaces as last read; undefined before the first read. */
  private interfacesSeen: ReadonlySet<string> | undefined;
  /** Other processes' transactions in the namespace's ruleset; undefined without a watch. */
  private readonly watch: RulesetWatch | undefined;

  constructor(options: NftablesBackendOptions, runner?: NftRunner, ipRunner?: NftRunner) {
    validate(options);
    this.table = options.table ?? 'natgw';
    this.uplinks = [...options.uplinks];
    this.netns = options.netns;
    this.networkInterface = options.networkInterface;
    this.incremental = options.incremental ?? true;
    const startMonitor =
      options.watch ?? (runner ? false : nftMonitorProcess(options.netns, options.nftPath));
    this.watch = startMonitor === false ? undefined : new RulesetWatch(startMonitor);
    this.run =
      runner ??
      processNftRunner({
        netns: options.netns,
        nftPath: options.nftPath,
        timeoutMs: options.timeoutMs,
        onSpawn: (pid) => this.watch?.ownProcess(pid),
      });
    this.ip = ipRunner ?? processIpRunner({ netns: options.netns, timeoutMs: options.timeoutMs });
  }

  /** "table inet natgw (netns gw)", for messages. */
  get target(): string {
    return `table inet ${this.table}${this.netns ? ` (netns ${this.netns})` : ''}`;
  }

  private get mode(): NatTableMode {
    return this.networkInterface === undefined ? 'shared' : 'network';
  }

  /**
   * The full ruleset text for the programmable part of `desired` (network interfaces assumed
   * present, network ids as this backend knows them).
   */
  render(desired: readonly NatRule[]): string {
    const { accepted } = this.partition(desired, this.incumbents ?? [], undefined);
    const { rules, layout } = this.laidOut(accepted, []);
    return renderNatRuleset(rules, { table: this.table, uplinks: this.uplinks }, layout);
  }

  async apply(desired: readonly NatRule[]): Promise<NatApplyResult> {
    return this.serialized(() => this.applyNow(desired));
  }

  /** apply(), redefining the whole table and repairing routing whatever the backend believes. */
  async applyFull(desired: readonly NatRule[]): Promise<NatApplyResult> {
    return this.serialized(() => {
      this.known = undefined;
      this.knownRouting = undefined;
      return this.applyNow(desired);
    });
  }

  private async applyNow(desired: readonly NatRule[]): Promise<NatApplyResult> {
    // With the table unknown (a full sync, or after a failure), this apply redefines it for
    // sure: nft starts now and waits for its input, so its start-up overlaps the reads and the
    // partition below. A failure before the input is given kills it unrun.
    const early = () =>
      !this.known && !this.firstApply && 'stream' in this.run
        ? pendingStream(this.run as StreamingRunner, ['-f', '-'])
        : undefined;
    const first = early();
    try {
      return await this.applyNowWith(desired, first, true);
    } catch (error) {
      if (!(error instanceof InterfacesChanged)) throw error;
      // The interfaces were not those the partition assumed: nothing ran; again, with the ones
      // just read, from a full partition.
      this.partitions.reset();
      this.partitioned = undefined;
      const again = early();
      try {
        return await this.applyNowWith(desired, again, false);
      } finally {
        again?.cancel();
      }
    } finally {
      first?.cancel();
    }
  }

  private async applyNowWith(
    desired: readonly NatRule[],
    early: PendingStream | undefined,
    speculate: boolean,
  ): Promise<NatApplyResult> {
    // Network mode: interfaces first, as the partition waits for them. When routing must be read
    // to be repaired, the IPv4 read lists the interfaces too, and the IPv6 read runs while the
    // table is worked on (one `ip` process per family, see ROUTING_READ). When the table is
    // redefined through an early nft anyway, the partition does not wait for the IPv4 read: it
    // assumes the interfaces last read, nft gets the text at once, and its input ends only once
    // the read has confirmed them (else nft is killed unrun and applyNow starts again).
    let present: ReadonlySet<string> | undefined;
    let routing: Promise<RoutingDump> | undefined;
    let confirmed: Promise<void> | undefined;
    if (this.mode === 'network') {
      if (this.knownRouting) {
        present = await listInterfaces(this.ip, this.name, this.interfaces);
        this.interfacesSeen = present;
      } else {
        const ipv4 = this.readFamilyRouting('IPv4');
        routing = ipv4.then(async (v4) => routingDump(v4, await this.readFamilyRouting('IPv6')));
        routing.catch(() => undefined);
        const assumed = this.interfacesSeen;
        const read = ipv4.then((v4) => {
          this.interfacesSeen = interfaceNames(v4.links);
          return this.interfacesSeen;
        });
        if (speculate && early && assumed && !this.firstApply) {
          present = assumed;
          confirmed = read.then((found) => {
            if (!sameSet(found, assumed)) throw new InterfacesChanged();
          });
          confirmed.catch(() => undefined);
        } else present = await read;
      }
    }
    if (this.firstApply) {
      // First apply since start: what is in effect keeps its place, networks keep their ids.
      this.remember((await this.readTable(false)).inspection, false);
    }
    const kept = this.keptPartition(desired, present);
    if (kept?.small && this.known) {
      if (await this.applyDelta(kept)) {
        if (kept.layout.mode === 'network') await this.syncRouting(kept.layout.networks, routing);
        this.incumbents = kept.change.partition.accepted;
        this.partitioned = this.incumbents;
        return { rejected: kept.change.partition.rejected };
      }
      // nft refused: the table is not what we believed (edited, deleted, rebooted). Redefined.
    }
    let rules: NatRule[];
    let layout: NatTableLayout;
    let rejected: RejectedNatRule[];
    let keep = true;
    if (kept) {
      ({ layout } = kept);
      rules = kept.change.partition.accepted;
      rejected = [...kept.change.partition.rejected];
    } else {
      const partition = this.partitions.full(desired, {
        ...this.partitionOptions(present),
        incumbents: this.incumbents ?? [],
      });
      rejected = [...partition.rejected];
      ({ rules, layout } = this.laidOut(partition.accepted, rejected));
      // Rules left out for want of a network id are not in the kept partition: the next is full.
      keep = rejected.length === partition.rejected.length;
    }
    this.partitioned = undefined;
    await this.applyTable(rules, layout, early, confirmed);
    if (layout.mode === 'network') await this.syncRouting(layout.networks, routing);
    this.incumbents = rules;
    if (keep) this.partitioned = rules;
    return { rejected };
  }

  /** No apply or read since start: the table's incumbents and network ids are not known yet. */
  private get firstApply(): boolean {
    return this.incumbents === undefined || (this.mode === 'network' && !this.networks);
  }

  /**
   * The partition of `desired` from the one kept since the last apply, in time proportional to
   * what changed, with its layout and whether the change is small enough for element edits;
   * undefined when it cannot be (no kept partition: the last apply failed or a read replaced the
   * incumbents; a big change other than renames; in network mode an interface of a network with
   * rules gone, or no id left for a new network): then the caller partitions in full.
   */
  private keptPartition(
    desired: readonly NatRule[],
    present: ReadonlySet<string> | undefined,
  ): { change: NatPartitionChange; layout: NatTableLayout; small: boolean } | undefined {
    const incumbents = this.incumbents;
    if (!this.incremental || !incumbents || incumbents !== this.partitioned) return undefined;
    // The kept partition changes from here on: valid again only once applied.
    this.partitioned = undefined;
    const template = this.networkInterface;
    const before = this.networks ?? new Map<number, NatNetwork>();
    if (template !== undefined) {
      if (!present) return undefined;
      for (const network of before.values()) if (!present.has(network.ifname)) return undefined;
    }
    const limit = Math.max(256, incumbents.length / 8);
    const change = this.partitions.update(desired, this.partitionOptions(present), limit);
    const book = this.partitions.current;
    if (!change || !book) return undefined;
    // Renames are not placed again, so update() takes any number of them; as element edits a
    // big change is not worth it (the table is redefined).
    const small = change.added.length + change.removed.length <= 2 * limit;
    if (template === undefined) return { change, layout: SHARED_LAYOUT, small };
    const wanted = new Set<number>();
    for (const vni of before.keys()) if (book.vniCount(vni) > 0) wanted.add(vni);
    for (const rule of change.added) wanted.add(rule.vni as number);
    const networks = this.networkIds([...wanted].sort((a, b) => a - b));
    if (networks.size < wanted.size) return undefined;
    return { change, layout: { mode: 'network', networks }, small };
  }

  /**
   * Applies a kept partition's change as element edits against the table known to be in the
   * kernel, in one transaction whose text is proportional to the change; false when nft refused.
   */
  private async applyDelta(kept: {
    change: NatPartitionChange;
    layout: NatTableLayout;
  }): Promise<boolean> {
    const known = this.known;
    const book = this.partitions.current;
    if (!known || !book) return false;
    const { change, layout } = kept;
    // Timeout profiles (issue 17.2) can only come or go with a rule that has one: only then is
    // the whole table compared.
    const touchesTimeouts = [...change.removed, ...change.added].some(
      (r) => r.timeouts !== undefined,
    );
    const profiles = touchesTimeouts
      ? timeoutProfileChange(
          timeoutProfileKeys(known.rules),
          timeoutProfileKeys(change.partition.accepted),
        )
      : undefined;
    const text = renderNatDelta(
      change.removed,
      change.added,
      bookUsage(book),
      this.table,
      known.layout,
      layout,
      profiles,
    );
    this.known = undefined;
    if (text !== '') {
      const result = await this.run(['-f', '-'], text);
      if (result.code !== 0) return false;
    }
    this.known = { rules: change.partition.accepted, layout };
    this.networks = layoutNetworks(layout);
    return true;
  }

  async read(): Promise<NatRule[]> {
    return (await this.inspect()).rules;
  }

  /**
   * True when the kernel is known to hold exactly what this backend last applied or read, so a
   * read-back would find nothing new: the ruleset watch saw no other process's transaction since
   * the last read, and (network mode) natgw's ip rules and routes, read now (a few lines), are as
   * applied. False whenever in doubt; then read() is the authority. Starts the watch if needed.
   */
  async unchangedSinceLastSync(): Promise<boolean> {
    return this.serialized(async () => {
      const watch = this.watch;
      if (!watch || !this.known || watch.suspicious) {
        watch?.start();
        return false;
      }
      if (this.mode === 'network') {
        const networks = this.knownRouting;
        if (!networks || routingProblems(await this.readRouting(), networks).length > 0) {
          return false;
        }
      }
      return !watch.suspicious;
    });
  }

  /** Stops the ruleset watch; the kernel state is left as it is. */
  async close(): Promise<void> {
    await this.serialized(async () => this.watch?.stop());
  }

  /** read() with the detail: whether the table exists, and every problem found in it. */
  async inspect(): Promise<NatTableInspection> {
    return this.serialized(async () => {
      // Whatever another process did before this read, the read sees.
      this.watch?.readStarting();
      const { inspection, routingClean } = await this.readTable(true);
      this.remember(inspection, routingClean);
      return inspection;
    });
  }

  async remove(): Promise<void> {
    await this.serialized(async () => {
      this.known = undefined;
      this.knownRouting = undefined;
      await this.transact(renderRemoveTable(this.table));
      if (this.mode === 'network') await this.repairRouting(new Map());
    });
  }

  private partition(
    desired: readonly NatRule[],
    incumbents: readonly NatRule[],
    present: ReadonlySet<string> | undefined,
  ) {
    return partitionNatRules(desired, { ...this.partitionOptions(present), incumbents });
  }

  private partitionOptions(
    present: ReadonlySet<string> | undefined,
  ): Omit<NatRulePartitionOptions, 'incumbents'> {
    const template = this.networkInterface;
    return {
      addressSpace: template === undefined ? 'node' : 'network',
      networkPresent:
        template === undefined || present === undefined
          ? undefined
          : (vni) => present.has(interfaceOf(template, vni)),
      dataplaneProblem: commentProblem,
    };
  }

  /**
   * The accepted rules with their layout: in network mode every network keeps the id it has;
   * a new one takes the first free id after the highest in use (so a recently freed id, whose
   * connections may still be in conntrack, is reused as late as possible). Rules of networks no
   * id is left for are moved to `rejected`.
   */
  private laidOut(
    accepted: NatRule[],
    rejected: RejectedNatRule[],
  ): { rules: NatRule[]; layout: NatTableLayout } {
    const template = this.networkInterface;
    if (template === undefined) return { rules: accepted, layout: SHARED_LAYOUT };
    const wanted = [...new Set(accepted.map((r) => r.vni as number))].sort((a, b) => a - b);
    const networks = this.networkIds(wanted);
    const rules: NatRule[] = [];
    for (const rule of accepted) {
      if (networks.has(rule.vni as number)) rules.push(rule);
      else {
        rejected.push({
          rule,
          reason: 'InvalidRule',
          message: `NAT rule ${natRuleKey(rule)}: no network id is left on this node for vni ${String(rule.vni)} (at most ${MAX_NETWORK_ID} networks)`,
        });
      }
    }
    return { rules, layout: { mode: 'network', networks } };
  }

  /**
   * The networks `wanted` (vnis, ascending) with their ids: every network keeps the id it has; a
   * new one takes the first free id after the highest in use. A network no id is left for is
   * missing from the result.
   */
  private networkIds(wanted: readonly number[]): Map<number, NatNetwork> {
    const template = this.networkInterface as string;
    const before = this.networks ?? new Map<number, NatNetwork>();
    const networks = new Map<number, NatNetwork>();
    const used = new Set<number>();
    for (const vni of wanted) {
      const old = before.get(vni);
      if (old) {
        networks.set(vni, { vni, id: old.id, ifname: interfaceOf(template, vni) });
        used.add(old.id);
      }
    }
    let next = Math.max(0, ...[...before.values()].map((n) => n.id), ...used);
    for (const vni of wanted) {
      if (networks.has(vni)) continue;
      let id: number | undefined;
      for (let tries = 0; tries < MAX_NETWORK_ID; tries += 1) {
        next = (next % MAX_NETWORK_ID) + 1;
        if (!used.has(next)) {
          id = next;
          break;
        }
      }
      if (id === undefined) continue;
      used.add(id);
      networks.set(vni, { vni, id, ifname: interfaceOf(template, vni) });
    }
    return networks;
  }

  /**
   * Takes what a read found as the backend's belief about the kernel. `routingClean` is undefined
   * when the read did not look at routing (then only incumbents and network ids are taken).
   */
  private remember(inspection: NatTableInspection, routingClean: boolean | undefined): void {
    const clean = inspection.present && inspection.problems.length === 0;
    const layout: NatTableLayout =
      this.mode === 'network' ? { mode: 'network', networks: inspection.networks } : SHARED_LAYOUT;
    if (routingClean !== undefined) {
      this.known = clean ? { rules: inspection.rules, layout } : undefined;
      this.knownRouting =
        this.mode === 'network' && inspection.present && routingClean
          ? inspection.networks
          : undefined;
    }
    this.incumbents = inspection.rules.filter((r) => r.nicUid !== UNEXPECTED_CONTENT_NIC_UID);
    // A table deleted by hand says nothing about ids still in conntrack: keep the ones we had.
    if (inspection.present || !this.networks) this.networks = new Map(inspection.networks);
  }

  /**
   * Makes the table hold `rules`: element edits when they are known to apply, else the whole
   * table redefined (through `early`, an nft already started, when given).
   */
  private async applyTable(
    rules: NatRule[],
    layout: NatTableLayout,
    early?: PendingStream,
    confirmed?: Promise<void>,
  ): Promise<void> {
    const known = this.known;
    if (
      this.incremental &&
      known &&
      known.layout.mode === layout.mode &&
      isSmallChange(known.rules, rules)
    ) {
      const changes = renderNatChanges(known.rules, rules, this.table, known.layout, layout);
      if (changes === '') {
        this.networks = layoutNetworks(layout);
        return;
      }
      this.known = undefined;
      const result = await this.run(['-f', '-'], changes);
      if (result.code === 0) {
        this.known = { rules, layout };
        this.networks = layoutNetworks(layout);
        return;
      }
      // The table is not what we believed (edited, deleted, rebooted): redefine it.
    }
    this.known = undefined;
    const target = { table: this.table, uplinks: this.uplinks };
    // `nft monitor` would print every element of the new table (costing more CPU than nft -f
    // itself at 50,000 NICs): the watch stops, and starts again suspicious, so the next pass
    // reads the table back once.
    const watching = this.watch?.running === true;
    this.watch?.stop();
    try {
      // A real nft gets the text as it is rendered, and parses while the rest is made; the
      // text of an unchanged table is sent again as it was (RenderedTable).
      if (early) {
        const chunks = this.rendered.chunks(rules, target, layout);
        this.check(await early.send(confirmed ? endingOnceConfirmed(chunks, confirmed) : chunks));
      } else {
        await this.transact(
          'stream' in this.run
            ? this.rendered.chunks(rules, target, layout)
            : renderNatRuleset(rules, target, layout),
        );
      }
    } finally {
      if (watching) this.watch?.start();
    }
    this.known = { rules, layout };
    this.networks = layoutNetworks(layout);
  }

  /**
   * Network mode: makes natgw's ip rules and routing table exactly those of `networks`, from
   * `dump` (a read made during this apply) when given.
   */
  private async syncRouting(
    networks: ReadonlyMap<number, NatNetwork>,
    dump: Promise<RoutingDump> | undefined,
  ): Promise<void> {
    const known = this.knownRouting;
    this.knownRouting = undefined;
    if (known && !dump) {
      const changes = renderRoutingChanges(known, networks);
      if ((await this.runIpBatches(changes)) === true) {
        this.knownRouting = networks;
        return;
      }
      // Not what we believed: read and repair.
    }
    await this.repairRouting(networks, dump);
    this.knownRouting = networks;
  }

  private async repairRouting(
    networks: ReadonlyMap<number, NatNetwork>,
    dump: Promise<RoutingDump> = this.readRouting(),
  ): Promise<void> {
    const repair = renderRoutingRepair(await dump, networks);
    const failure = await this.runIpBatches(repair);
    if (failure !== true) {
      throw new DataplaneApplyError(
        this.name,
        `routing of ${this.target}`,
        failure.code,
        failure.stderr,
      );
    }
  }

  /** Runs the per-family ip batches; true when all succeeded, else the first failure. */
  private async runIpBatches(
    batches: Readonly<Record<'IPv4' | 'IPv6', string>>,
  ): Promise<true | { code: number | null; stderr: string }> {
    for (const family of ROUTE_FAMILIES) {
      const text = batches[family];
      if (text === '') continue;
      const flag = family === 'IPv4' ? '-4' : '-6';
      const result = await this.ip([flag, '-force', '-batch', '-'], text);
      if (result.code !== 0) return { code: result.code, stderr: result.stderr };
    }
    return true;
  }

  /** Both families' rules and routes (two `ip` processes at once). */
  private async readRouting(): Promise<RoutingDump> {
    const [ipv4, ipv6] = await Promise.all(ROUTE_FAMILIES.map((f) => this.readFamilyRouting(f)));
    return routingDump(ipv4 as FamilyRouting, ipv6 as FamilyRouting);
  }

  private readFamilyRouting(family: RouteFamily): Promise<FamilyRouting> {
    return readFamilyRouting(this.ip, family, this.name, `routing of ${this.target}`);
  }

  /** "interfaces of table inet natgw (netns gw)", for messages. */
  private get interfaces(): string {
    return `interfaces of ${this.target}`;
  }

  /**
   * Reads the table back (and in network mode with `withRouting`, natgw's routing; routingClean
   * says whether it was exactly right, and is undefined when it was not read).
   */
  private async readTable(
    withRouting: boolean,
  ): Promise<{ inspection: NatTableInspection; routingClean: boolean | undefined }> {
    const template = this.networkInterface;
    const routing = withRouting && template !== undefined ? await this.readRouting() : undefined;
    let routingFound: NatTableProblem[] = [];
    const result = await this.run(['-j', 'list', 'table', 'inet', this.table]);
    if (result.code !== 0) {
      // nft says ENOENT in words when the table is not there: that is a state, not a failure.
      if (result.code === 1 && /^Error: No such file or directory$/m.test(result.stderr)) {
        const inspection = {
          present: false,
          rules: [],
          ineffective: [],
          problems: [],
          networks: new Map(),
        };
        return { inspection, routingClean: withRouting ? false : undefined };
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
    const inspection = parseNatRuleset(
      document,
      { table: this.table, uplinks: this.uplinks },
      template === undefined
        ? { mode: 'shared' }
        : { mode: 'network', vniOf: (ifname) => vniOfInterface(template, ifname) },
      (networks) => {
        routingFound = routing ? routingProblems(routing, networks) : [];
        return routingFound;
      },
    );
    return { inspection, routingClean: withRouting ? routingFound.length === 0 : undefined };
  }

  private async transact(ruleset: string | StreamInput): Promise<void> {
    const args = ['-f', '-'];
    const result =
      typeof ruleset === 'string'
        ? await this.run(args, ruleset)
        : await (this.run as StreamingRunner).stream(args, ruleset);
    this.check(result);
  }

  /** Throws when a transaction failed. */
  private check(result: NftResult): void {
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

/** The interfaces a partition assumed were not those found: the apply starts again. */
class InterfacesChanged extends Error {
  constructor() {
    super('the network interfaces changed while the table was being applied');
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}

/** The chunks, then a wait for `confirmed`: nft's input ends only if it resolves. */
async function* endingOnceConfirmed(
  chunks: Iterable<Buffer>,
  confirmed: Promise<void>,
): AsyncGenerator<Buffer> {
  yield* chunks;
  await confirmed;
}

function layoutNetworks(layout: NatTableLayout): ReadonlyMap<number, NatNetwork> {
  return layout.mode === 'network' ? layout.networks : new Map();
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
