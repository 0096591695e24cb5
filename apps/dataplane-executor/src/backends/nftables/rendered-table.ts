import type { NatRule } from '@natgw/domain';
import {
  type NatTableLayout,
  type NatTableTarget,
  renderNatRulesetChunks,
} from './render-nat-ruleset';

/** What a table text was made from. */
interface Source {
  readonly rules: readonly NatRule[];
  readonly target: NatTableTarget;
  readonly layout: NatTableLayout;
}

function sameRules(a: readonly NatRule[], b: readonly NatRule[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

function sameLayout(a: NatTableLayout, b: NatTableLayout): boolean {
  if (a.mode !== b.mode) return false;
  if (a.mode === 'shared' || b.mode === 'shared') return true;
  if (a.networks.size !== b.networks.size) return false;
  for (const [vni, network] of a.networks) {
    const other = b.networks.get(vni);
    if (!other || other.id !== network.id || other.ifname !== network.ifname) return false;
  }
  return true;
}

function sameTarget(a: NatTableTarget, b: NatTableTarget): boolean {
  return a.table === b.table && a.uplinks.join('\n') === b.uplinks.join('\n');
}

/**
 * The last whole-table text, as the bytes written to nft, with what it was made from. A full
 * sync of a table whose rules (the very rule objects, which are never changed in place) and
 * layout are those of the last one, as when a deleted or hand-edited table is repaired, sends
 * these bytes again instead of rendering and encoding ~10 MB (profiled at 50,000 NICs: 50-60 ms
 * of CPU, the largest part of natgw's own work in such a sync). Costs the text's size in memory.
 */
export class RenderedTable {
  private last: (Source & { readonly chunks: readonly Buffer[] }) | undefined;

  /** The table text of `rules` in chunks: the kept bytes when they fit, else rendered now. */
  chunks(
    rules: readonly NatRule[],
    target: NatTableTarget,
    layout: NatTableLayout,
  ): Iterable<Buffer> {
    const last = this.last;
    if (
      last &&
      sameRules(last.rules, rules) &&
      sameLayout(last.layout, layout) &&
      sameTarget(last.target, target)
    ) {
      return last.chunks;
    }
    return this.render({ rules, target, layout });
  }

  /** Renders, keeping the bytes once the whole text is made. */
  private *render(source: Source): Generator<Buffer> {
    this.last = undefined;
    const chunks: Buffer[] = [];
    for (const text of renderNatRulesetChunks(source.rules, source.target, source.layout)) {
      const chunk = Buffer.from(text);
      chunks.push(chunk);
      yield chunk;
    }
    const layout: NatTableLayout =
      source.layout.mode === 'network'
        ? { mode: 'network', networks: new Map(source.layout.networks) }
        : source.layout;
    this.last = { ...source, rules: source.rules.slice(), layout, chunks };
  }
}
