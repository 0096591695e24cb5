import { readFileSync } from 'node:fs';
import { parse, YAMLError } from 'yaml';
import { ConfigError } from '@natgw/platform';
import { isDns1123Label } from '@natgw/contracts';

/** What a token may do: read (get, list, watch) and/or write (create, update, patch, delete). */
export type Verb = 'read' | 'write';

/** One entry of the tokens file. The token itself is kept only as its SHA-256. */
export interface TokenGrant {
  user: string;
  tokenSha256: Buffer;
  /** `*` for every namespace (and the all-namespaces lists). */
  namespaces: '*' | ReadonlySet<string>;
  verbs: ReadonlySet<Verb>;
}

const HEX64 = /^[0-9a-f]{64}$/;

function problemsOf(entry: unknown, i: number): string[] {
  const at = `AUTH_TOKENS_FILE tokens[${i}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    return [`${at} must be a mapping`];
  const e = entry as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(e).filter(
    (k) => !['token', 'tokenSha256', 'user', 'namespaces', 'verbs'].includes(k),
  );
  // Not named: a key may be a token that lost its "token:" (e.g. `- s3cr3t: ...`).
  if (unknown.length > 0)
    problems.push(
      `${at} has ${unknown.length} unknown key(s); allowed: token, tokenSha256, user, namespaces, verbs`,
    );
  const hasToken = typeof e.token === 'string' && e.token.length > 0;
  const hasHash = typeof e.tokenSha256 === 'string' && HEX64.test(e.tokenSha256.toLowerCase());
  if (hasToken === hasHash)
    problems.push(
      `${at} needs exactly one of token (a non-empty string) or tokenSha256 (64 hex digits)`,
    );
  if (typeof e.user !== 'string' || e.user.trim() === '')
    problems.push(`${at}.user must be a non-empty string`);
  const ns = e.namespaces;
  const nsOk =
    ns === '*' ||
    (Array.isArray(ns) &&
      ns.length > 0 &&
      ns.every((n) => n === '*' || (typeof n === 'string' && isDns1123Label(n))));
  if (!nsOk)
    problems.push(`${at}.namespaces must be "*" or a non-empty list of namespace names (or "*")`);
  const verbs = e.verbs;
  if (
    !Array.isArray(verbs) ||
    verbs.length === 0 ||
    !verbs.every((v) => v === 'read' || v === 'write')
  ) {
    problems.push(`${at}.verbs must be a non-empty list of read and/or write`);
  }
  return problems;
}

/**
 * Where and what a YAML error is, without the source: the yaml package's messages
 * quote the offending line, and in this file that line may hold a token.
 */
function yamlProblem(err: unknown, source: string): string {
  if (!(err instanceof YAMLError)) return 'the file is not valid YAML';
  const offset = err.pos[0];
  const line = source.slice(0, offset).split('\n').length;
  const column = offset - source.lastIndexOf('\n', offset - 1);
  return `${err.code} at line ${line}, column ${column} (the line is not shown: it may hold a token)`;
}

/**
 * Reads and validates the tokens file:
 *
 * ```yaml
 * tokens:
 *   - token: "s3cr3t"          # or tokenSha256: <hex of sha256(token)>
 *     user: alice
 *     namespaces: [default]    # or "*"
 *     verbs: [read, write]
 * ```
 *
 * Any problem is a ConfigError naming AUTH_TOKENS_FILE and the entry; the tokens
 * themselves never appear in messages.
 */
export function loadTokensFile(path: string, hash: (token: string) => Buffer): TokenGrant[] {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`AUTH_TOKENS_FILE ${path} cannot be read: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = parse(source, { prettyErrors: false });
  } catch (err) {
    throw new ConfigError([
      `AUTH_TOKENS_FILE ${path} cannot be read as YAML: ${yamlProblem(err, source)}`,
    ]);
  }
  const tokens = (doc as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0) {
    throw new ConfigError([`AUTH_TOKENS_FILE ${path} must hold a non-empty "tokens" list`]);
  }
  const problems = tokens.flatMap(problemsOf);
  if (problems.length > 0) throw new ConfigError(problems);
  const grants = tokens.map((raw) => {
    const e = raw as {
      token?: string;
      tokenSha256?: string;
      user: string;
      namespaces: '*' | string[];
      verbs: Verb[];
    };
    const all = e.namespaces === '*' || e.namespaces.includes('*');
    return {
      user: e.user,
      tokenSha256:
        e.token !== undefined ? hash(e.token) : Buffer.from(e.tokenSha256!.toLowerCase(), 'hex'),
      namespaces: all ? ('*' as const) : new Set(e.namespaces as string[]),
      verbs: new Set(e.verbs),
    };
  });
  const seen = new Set<string>();
  grants.forEach((g, i) => {
    const key = g.tokenSha256.toString('hex');
    if (seen.has(key))
      throw new ConfigError([`AUTH_TOKENS_FILE tokens[${i}] repeats a token of an earlier entry`]);
    seen.add(key);
  });
  return grants;
}
