import { CST, Document, isAlias, isMap, isScalar, Lexer, parseDocument, visit } from 'yaml';
import { ApiError, apiErrors } from './api-error';

/**
 * The most nodes a YAML body may have: scalars, aliases, flow collections, and the
 * implicit nulls of `-` and `key:` entries without a value. Far beyond any natgw
 * object (a few dozen), far below what makes the `yaml` package slow: it spends
 * about 10 µs per node, so a megabyte of `[0,0,0,...]` (half a million nodes) would
 * hold the event loop for seconds. Counted while lexing, before anything is built.
 */
export const MAX_YAML_NODES = 5_000;

/** The most mapping keys a YAML body may have, in all its mappings together. */
export const MAX_YAML_KEYS = 2_000;

/** How many aliases (`*a`) a body may expand, by the `yaml` package's count: 100, its default. */
export const MAX_YAML_ALIAS_COUNT = 100;

const NODE_TOKENS = new Set<string>([
  'scalar',
  'single-quoted-scalar',
  'double-quoted-scalar',
  'block-scalar-header',
  'alias',
  'flow-map-start',
  'flow-seq-start',
]);
// Tokens after which a value follows, or an implicit null.
const ENTRY_TOKENS = new Set<string>(['seq-item-ind', 'explicit-key-ind', 'map-value-ind']);

/** Counts nodes and keys token by token, and stops at the first cap passed. */
function checkSize(source: string): void {
  let nodes = 0;
  let keys = 0;
  let valuePending = false;
  const countNode = () => {
    if (++nodes > MAX_YAML_NODES)
      throw apiErrors.badRequest(`the YAML request body has more than ${MAX_YAML_NODES} nodes`);
  };
  for (const token of new Lexer().lex(source)) {
    const type = CST.tokenType(token);
    if (type === null) continue;
    if (NODE_TOKENS.has(type)) {
      countNode();
      valuePending = false;
    } else if (ENTRY_TOKENS.has(type)) {
      if (valuePending) countNode(); // the entry before had no value: a null
      valuePending = true;
      if (type === 'map-value-ind' && ++keys > MAX_YAML_KEYS) {
        throw apiErrors.badRequest(
          `the YAML request body has more than ${MAX_YAML_KEYS} mapping keys`,
        );
      }
    }
  }
  if (valuePending) countNode();
}

/** The key as it becomes a JSON object key (toJS turns every scalar key into a string). */
function keyText(doc: Document, key: unknown): string | undefined {
  if (key === null || key === undefined) return '';
  const node = isAlias(key) ? key.resolve(doc) : key;
  return isScalar(node) ? String(node.value) : undefined;
}

/** Duplicate keys, one Set per mapping: linear in the number of keys. */
function refuseDuplicateKeys(doc: Document): void {
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = keyText(doc, pair.key);
        if (key === undefined) {
          throw apiErrors.badRequest(
            'the request body is not valid YAML: a mapping key must be a string, number or boolean',
          );
        }
        if (seen.has(key)) {
          throw apiErrors.badRequest(
            `the request body is not valid YAML: map keys must be unique; ${JSON.stringify(key.slice(0, 256))} is repeated`,
          );
        }
        seen.add(key);
      }
    },
  });
}

/**
 * Parses a YAML body within caps: at most MAX_YAML_NODES nodes and MAX_YAML_KEYS
 * keys (checked while lexing), duplicate keys found in linear time (the `yaml`
 * package's own `uniqueKeys` compares every key with every other), and alias
 * expansion bounded (a "billion laughs" body is refused). Errors are ApiErrors (400).
 */
export function parseYamlBody(source: string): unknown {
  try {
    checkSize(source);
    const doc = parseDocument(source, { uniqueKeys: false, prettyErrors: false });
    if (doc.errors.length > 0) {
      throw apiErrors.badRequest(`the request body is not valid YAML: ${doc.errors[0].message}`);
    }
    refuseDuplicateKeys(doc);
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The alias bomb check, and anything else the package throws.
    throw apiErrors.badRequest(`the request body is not valid YAML: ${(err as Error).message}`);
  }
}
