/**
 * The kernel's conntrack counters (`conntrack -S`), summed over CPUs. `insert_failed` and `drop`
 * grow when a new connection cannot be confirmed, e.g. when SNAT found no free tuple in a slot.
 */
export interface ConntrackStats {
  readonly found: number;
  readonly invalid: number;
  readonly insert: number;
  readonly insertFailed: number;
  readonly drop: number;
  readonly earlyDrop: number;
  readonly error: number;
  readonly searchRestart: number;
  readonly clashResolve: number;
}

const FIELDS: Record<string, keyof ConntrackStats> = {
  found: 'found',
  invalid: 'invalid',
  insert: 'insert',
  insert_failed: 'insertFailed',
  drop: 'drop',
  early_drop: 'earlyDrop',
  error: 'error',
  search_restart: 'searchRestart',
  clash_resolve: 'clashResolve',
};

/** Parses `conntrack -S` (one `cpu=N key=value ...` line per CPU) into totals. */
export function parseConntrackStats(text: string): ConntrackStats {
  const totals: Record<keyof ConntrackStats, number> = {
    found: 0,
    invalid: 0,
    insert: 0,
    insertFailed: 0,
    drop: 0,
    earlyDrop: 0,
    error: 0,
    searchRestart: 0,
    clashResolve: 0,
  };
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('cpu=')) continue;
    for (const token of line.trim().split(/\s+/)) {
      const [key, value] = token.split('=');
      const field = FIELDS[key];
      if (field !== undefined && /^\d+$/.test(value ?? '')) totals[field] += Number(value);
    }
  }
  return totals;
}
