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
const TOKEN = /\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)/y;

function tokenize(selector: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < selector.length && (m = TOKEN.exec(selector)) !== null)
    tokens.push(m[1]);
  if (selector.slice(TOKEN.lastIndex).trim() !== '')
    throw new LabelSelectorError(selector, 'unexpected input');
  return tokens;
}

/**
 * Parses a Kubernetes label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x,y)`, `a` (exists) and `!a`, joined by commas.
 */
export function parseLabelSelector(selector: string): LabelSelector {
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
