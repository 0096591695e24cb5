import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isDns1123Label } from '@natgw/contracts';
import { ConfigError } from '@natgw/platform';

/**
 * What one external system may do over inbound NATS: upsert and delete
 * NetworkInterfaces in these namespaces. The system is named by the subject its
 * requests arrive on, `<prefix>.inbound.<system>.networkinterfaces.<op>`, which
 * NATS fixes per account (deploy/nats/nats-server.conf), so a client cannot
 * choose it.
 */
export interface InboundGrant {
  system: string;
  /** `*` for every namespace. */
  namespaces: '*' | ReadonlySet<string>;
}

function problemsOf(entry: unknown, i: number): string[] {
  const at = `NATS_INBOUND_GRANTS_FILE systems[${i}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return [`${at} must be a mapping`];
  }
  const e = entry as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(e).filter((k) => !['name', 'namespaces'].includes(k));
  if (unknown.length > 0) problems.push(`${at} has unknown keys: ${unknown.join(', ')}`);
  if (typeof e.name !== 'string' || !isDns1123Label(e.name)) {
    problems.push(
      `${at}.name must be a DNS-1123 label (the <system> token of its inbound subject)`,
    );
  }
  const ns = e.namespaces;
  const nsOk =
    ns === '*' ||
    (Array.isArray(ns) &&
      ns.length > 0 &&
      ns.every((n) => n === '*' || (typeof n === 'string' && isDns1123Label(n))));
  if (!nsOk) {
    problems.push(`${at}.namespaces must be "*" or a non-empty list of namespace names (or "*")`);
  }
  return problems;
}

/**
 * Reads and validates the inbound grants file:
 *
 * ```yaml
 * systems:
 *   - name: compute            # requests on natgw.inbound.compute.networkinterfaces.*
 *     namespaces: [tenant-a]   # or "*"
 * ```
 *
 * Any problem is a ConfigError naming NATS_INBOUND_GRANTS_FILE and the entry.
 */
export function loadInboundGrantsFile(path: string): InboundGrant[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([
      `NATS_INBOUND_GRANTS_FILE ${path} cannot be read as YAML: ${(err as Error).message}`,
    ]);
  }
  const systems = (doc as { systems?: unknown } | null)?.systems;
  if (!Array.isArray(systems)) {
    throw new ConfigError([`NATS_INBOUND_GRANTS_FILE ${path} must hold a "systems" list`]);
  }
  const problems = systems.flatMap(problemsOf);
  const seen = new Set<string>();
  systems.forEach((raw, i) => {
    const name = (raw as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) {
      problems.push(`NATS_INBOUND_GRANTS_FILE systems[${i}] repeats the system "${name}"`);
    }
    seen.add(name);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return systems.map((raw) => {
    const e = raw as { name: string; namespaces: '*' | string[] };
    const all = e.namespaces === '*' || e.namespaces.includes('*');
    return { system: e.name, namespaces: all ? ('*' as const) : new Set(e.namespaces) };
  });
}

/** Why a request may not run, or undefined when it may. */
export type InboundDenial = string | undefined;

/**
 * Decides whether an inbound request may touch a namespace. Without a grants
 * file (development, a NATS without accounts) every request may, as REST
 * without a tokens file. With one, a request must come on a system's subject
 * and stay in that system's namespaces; the unnamed subject
 * `<prefix>.inbound.networkinterfaces.<op>` is refused.
 */
export class InboundAuthorizer {
  private readonly bySystem?: ReadonlyMap<string, InboundGrant>;

  constructor(grants: readonly InboundGrant[] | undefined) {
    this.bySystem = grants && new Map(grants.map((g) => [g.system, g]));
  }

  /** False when no grants file is configured: every request is allowed. */
  get enabled(): boolean {
    return this.bySystem !== undefined;
  }

  /** `system` is the subject's `<system>` token, undefined for the unnamed subject. */
  denial(system: string | undefined, namespace: string): InboundDenial {
    if (!this.bySystem) return undefined;
    if (system === undefined) {
      return "requests must arrive on an external system's subject <prefix>.inbound.<system>.networkinterfaces.<op> (NATS_INBOUND_GRANTS_FILE is set)";
    }
    const grant = this.bySystem.get(system);
    if (!grant) return `the system "${system}" has no entry in NATS_INBOUND_GRANTS_FILE`;
    if (grant.namespaces !== '*' && !grant.namespaces.has(namespace)) {
      return `the system "${system}" is not granted the namespace "${namespace}"`;
    }
    return undefined;
  }
}
