import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';

/** A value of one column: null/undefined is SQL NULL, an object or array is JSON. */
export type CopyValue = string | number | bigint | boolean | null | undefined | object;

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One field in `COPY ... FROM STDIN`'s text format: `\N` for NULL, and backslash,
 * tab, newline and carriage return escaped (JSON text holds only backslashes of
 * these: JSON.stringify escapes control characters itself).
 */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'object') {
    // JSON text can hold only backslashes of the special characters (a scan for one
    // character is several times faster than the regex over a large object).
    const json = JSON.stringify(value);
    return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
  }
  const text = typeof value === 'string' ? value : String(value);
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]) : text;
}

/** Rows as COPY's text format, about `chunkChars` characters a chunk. */
function* copyText(rows: Iterable<readonly CopyValue[]>, chunkChars: number): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + copyField(row[i]);
    chunk += line + '\n';
    if (chunk.length >= chunkChars) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Inserts rows with `COPY table (columns) FROM STDIN` on the transaction's own
 * connection: PostgreSQL parses each value once, straight into its column (no
 * statement decomposing a JSON document, no array parameters). Rows are
 * serialized as the stream asks for them. Needs a manager of a transaction.
 */
export async function copyRows(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<void> {
  const runner = manager.queryRunner as { connect(): Promise<PoolClient> } | undefined;
  if (!runner) throw new Error(`copyRows into ${table} needs the manager of a transaction`);
  const client = await runner.connect();
  const into = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(copyText(rows, 1 << 20)), into);
}
