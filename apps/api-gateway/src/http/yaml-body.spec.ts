import { scalesLinearly, timeAtTwoSizes } from '@natgw/testing';
import { ApiError } from './api-error';
import { MAX_YAML_KEYS, MAX_YAML_NODES, parseYamlBody } from './yaml-body';

function refusal(source: string): string | undefined {
  try {
    parseYamlBody(source);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    expect(err.status.code).toBe(400);
    return err.status.message;
  }
}

const mapOf = (n: number, key: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => `${key(i)}: v`).join('\n');

describe('parseYamlBody', () => {
  it('parses a manifest, anchors and aliases included', () => {
    expect(parseYamlBody('metadata:\n  name: a\n  labels: &l {x: "1"}\nspec:\n  l: *l\n')).toEqual({
      metadata: { name: 'a', labels: { x: '1' } },
      spec: { l: { x: '1' } },
    });
  });

  it('refuses duplicate keys, also when YAML would tell them apart but JSON cannot', () => {
    expect(refusal('a: 1\nb: 2\na: 3\n')).toContain('"a" is repeated');
    expect(refusal('1: x\n"1": y\n')).toContain('"1" is repeated');
    expect(refusal('m:\n  k: 1\n  k: 2\n')).toContain('"k" is repeated');
    expect(refusal('? [a]\n: x\n')).toContain('a mapping key must be');
  });

  it('accepts the node and key caps and refuses one more, naming the cap', () => {
    expect(refusal(mapOf(MAX_YAML_KEYS, (i) => `k${i}`))).toBeUndefined();
    expect(refusal(mapOf(MAX_YAML_KEYS + 1, (i) => `k${i}`))).toContain(
      `more than ${MAX_YAML_KEYS} mapping keys`,
    );
    const seq = (n: number) => `[${Array.from({ length: n }, () => '0').join(',')}]`;
    expect(refusal(seq(MAX_YAML_NODES - 1))).toBeUndefined(); // the sequence is a node too
    expect(refusal(seq(MAX_YAML_NODES))).toContain(`more than ${MAX_YAML_NODES} nodes`);
    // Entries without a value are nodes (implicit nulls) too.
    expect(refusal('-\n'.repeat(MAX_YAML_NODES + 1))).toContain('nodes');
  });

  it('refuses a megabyte of tiny nodes within milliseconds, before building anything', () => {
    const source = `[${'0,'.repeat(512 * 1024 - 1)}0]`;
    const start = Date.now();
    expect(refusal(source)).toContain('nodes');
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('refuses an alias bomb ("billion laughs")', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const start = Date.now();
    expect(refusal(levels.join('\n'))).toMatch(/alias/i);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  // yaml's own uniqueKeys compares each key with all before it: 800 KB took most of a minute.
  it('finds duplicate keys in linear time', () => {
    const times = timeAtTwoSizes(MAX_YAML_KEYS - 1, (n) => {
      expect(refusal(`${mapOf(n, (i) => `key-${i}`)}\nkey-0: again`)).toContain('repeated');
    });
    expect(scalesLinearly(times)).toBe(true);
  });
});
