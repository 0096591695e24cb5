import { MAX_SELECTOR_LENGTH } from './selector-limits';
import { qualifiedNameProblem } from './validation/metadata-maps';

/** One requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** A selector is the conjunction of its requirements; an empty one selects everything. */
export type LabelSelector = LabelRequirement[];

/** A selector string that is not valid Kubernetes label-selector syntax. */
export class LabelSelectorError extends Error {
  constructor(
    readonly selector: string,
    reason: string,
  ) {
    super(`unable to parse requirement: ${reason} (in label selector ${JSON.stringify(selector)})`);
    this.name = 'LabelSelectorError';
  }
}

const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const WHITESPACE = /\s/;
const SINGLE = new Set(['(', ')', ',']);

/** True where a bare word (key, value, `in`, `notin`) ends. */
function endsWord(c: string): boolean {
  return c === '!' || c === '=' || SINGLE.has(c) || WHITESPACE.test(c);
}

/**
 * Splits a selector into operators, parentheses, commas and words, in one
 * left-to-right pass: each character is looked at once, so the time is linear.
 */
function tokenize(selector: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i];
    if (WHITESPACE.test(c)) {
      i++;
    } else if (c === '!' || c === '=') {
      const two = selector[i + 1] === '=';
      tokens.push(two ? `${c}=` : c);
      i += two ? 2 : 1;
    } else if (SINGLE.has(c)) {
      tokens.push(c);
      i++;
    } else {
      const start = i;
      while (i < selector.length && !endsWord(selector[i])) i++;
      tokens.push(selector.slice(start, i));
    }
  }
  return tokens;
}

/**
 * Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x,y)`, `a` (exists) and `!a`, joined by commas. Linear in the
 * selector, which may be at most MAX_SELECTOR_LENGTH characters.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new LabelSelectorError(
      `${selector.slice(0, 64)}...`,
      `a label selector may be at most ${MAX_SELECTOR_LENGTH} characters long, got ${selector.length}`,
    );
  }
  const tokens = tokenize(selector);
  const out: LabelSelector = [];
  let i = 0;
  const next = () => tokens[i++];
  const fail = (why: string): never => {
    throw new LabelSelectorError(selector, why);
  };
  const key = (k: string | undefined): string => {
    if (k === undefined || ['=', '==', '!=', '(', ')', ',', '!'].includes(k))
      return fail('expected a key');
    const problem = qualifiedNameProblem(k);
    return problem ? fail(`invalid label key ${JSON.stringify(k)}: ${problem}`) : k;
  };
  const value = (v: string | undefined): string => {
    if (v === undefined || v === ',' || v === ')') return '';
    if (['=', '==', '!=', '(', '!'].includes(v)) return fail(`unexpected ${JSON.stringify(v)}`);
    if (v.length > 63 || !VALUE.test(v)) return fail(`invalid label value ${JSON.stringify(v)}`);
    i++;
    return v;
  };
  while (i < tokens.length) {
    const first = next();
    if (first === '!') {
      out.push({ key: key(next()), op: 'notexists' });
    } else {
      const k = key(first);
      const op = tokens[i];
      if (op === undefined || op === ',') {
        out.push({ key: k, op: 'exists' });
      } else if (op === '=' || op === '==' || op === '!=') {
        i++;
        out.push({ key: k, op: op === '!=' ? 'neq' : 'eq', value: value(tokens[i]) });
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (next() !== '(') fail(`expected "(" after ${op}`);
        const values: string[] = [];
        for (;;) {
          values.push(value(tokens[i]));
          const sep = next();
          if (sep === ')') break;
          if (sep !== ',') fail('expected "," or ")" in a value set');
        }
        out.push({ key: k, op, values });
      } else {
        fail(`unsupported operator ${JSON.stringify(op)}`);
      }
    }
    if (i < tokens.length && next() !== ',') fail('expected "," between requirements');
    if (i === tokens.length && tokens[i - 1] === ',') fail('trailing ","');
  }
  return out;
}

/** True when the labels satisfy every requirement. */
export function matchesLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      default: {
        const never: never = r;
        return never;
      }
    }
  });
}
