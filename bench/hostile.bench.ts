// Hostile-input benchmark: each hostile shape of issue 13 at the largest size the
// api-gateway accepts, timed next to a normal request of the same size, through a
// real api-gateway (its own process, fresh database). Goal: every hostile request is
// answered within milliseconds, with a 4xx where it is refused; the ratio says how
// much more it costs than the normal one. Prints a table and writes
// bench/results/hostile.json. Run: npm run bench:hostile
// Settings: BENCH_REPEAT (default 15 timed requests per row, after 2 warm-ups).
import { loadavg } from 'node:os';
import { withApiGateway } from './support/api-gateway-process';
import { quantile, writeResult } from './support/bench-output';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 15);
const API = '/apis/networking.ironcore.dev/v1alpha1';
const NS = `${API}/namespaces/bench`;
/** The goal: a hostile request answered within this, every time. */
const GOAL_MS = 1000;
const MAX_SELECTOR = 4096;
const MAX_BODY = 1024 * 1024;

interface Req {
  method: string;
  path: string;
  contentType?: string;
  body?: string;
  /** The size of the hostile part: the selector, or the body. */
  size?: number;
}

interface Shape {
  name: string;
  /** What the hostile request is, and what it is compared with. */
  detail: string;
  hostile: (i: number) => Req;
  normal: (i: number) => Req;
  /** The status the hostile request must get (a 4xx where it is refused). */
  expect: number;
}

interface Timing {
  status: number;
  p50Ms: number;
  maxMs: number;
  requestBytes: number;
  responseBytes: number;
}

const gateway = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, ...extra },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: 'net' },
  },
});

/** `text` padded with `pad` (repeated) to exactly `size` characters. */
const padTo = (text: string, pad: string, size: number) =>
  (text + pad.repeat(Math.ceil((size - text.length) / pad.length))).slice(0, size);

const yamlMap = (n: number, key: (i: number) => string, indent: string) =>
  Array.from({ length: n }, (_, i) => `${indent}${key(i)}: v`).join('\n');

/**
 * The widest YAML metadata accepted: 995 annotations and 990 labels (each map under
 * the 1,000 keys an object may have; with the other keys, just under the 2,000 keys
 * of a YAML body), labels last.
 */
const wideYaml = (name: string) =>
  `metadata:\n  name: ${name}\n  annotations:\n${yamlMap(995, (k) => `a${k}`, '    ')}\n  labels:\n${yamlMap(990, (k) => `k${k}`, '    ')}\n`;

function aliasBomb(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `metadata:\n  name: bomb\nspec:\n  ${lines.join('\n  ')}\n`;
}

/** A YAML NATGateway of about `size` bytes: one annotation carries the bulk. */
function yamlGateway(name: string, size: number): string {
  const head = `metadata:\n  name: ${name}\n  annotations:\n    bulk: "`;
  const tail = `"\nspec:\n  type: Public\n  ipFamily: IPv4\n  portsPerNetworkInterface: 64\n  networkRef:\n    name: net\n`;
  return `${head}${'x'.repeat(Math.max(0, size - head.length - tail.length))}${tail}`;
}

const selectorList = (key: string, selector: string): Req => ({
  method: 'GET',
  path: `${NS}/natgateways?${key}=${encodeURIComponent(selector)}`,
  size: selector.length,
});

/** `first` and then `term(n)` for n = 0, 1, ... while they fit, padded with spaces to `size`. */
function termsUpTo(first: string, term: (n: number) => string, size: number): string {
  let text = first;
  for (let n = 0; text.length + term(n).length <= size; n++) text += term(n);
  return text.padEnd(size);
}

/**
 * A JSON NATGateway whose other keys are unknown fields: as many as fit in `size`
 * bytes, at most `count`, each name padded to `nameLength`.
 */
function unknownFields(size: number, count = Infinity, nameLength = 0): string {
  const head = JSON.stringify(gateway('unknown')).slice(0, -1);
  const parts = [head];
  let length = head.length + 1;
  for (let n = 0; n < count; n++) {
    const part = `,"${`unknown-${n}-`.padEnd(nameLength, 'z')}":${n}`;
    if (length + part.length > size) break;
    parts.push(part);
    length += part.length;
  }
  return `${parts.join('')}}`;
}

// The copy-doubling patch: 20 operations, each copying metadata into itself.
const DOUBLING = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({
    op: 'copy',
    from: '/metadata',
    path: `/metadata/${String.fromCharCode(97 + i)}`,
  })),
);
// The normal patch of the same size: label replacements.
function labelPatch(size: number, i: number): string {
  const ops: object[] = [];
  let text = '[]';
  for (let n = 0; text.length < size - 60; n++) {
    ops.push({ op: 'add', path: `/metadata/labels/l${n}`, value: `v${i}` });
    text = JSON.stringify(ops);
  }
  return text;
}

const ANNOTATIONS_YAML_SIZE = 240 * 1024; // under the 256 KiB annotation limit

const SHAPES: Shape[] = [
  {
    name: 'field selector, spaces',
    detail: `metadata.name= + spaces + "!" (${MAX_SELECTOR} chars, the cap) vs a valid selector of ${MAX_SELECTOR} chars`,
    hostile: () =>
      selectorList('fieldSelector', padTo('metadata.name=', ' ', MAX_SELECTOR - 1) + '!'),
    normal: () =>
      selectorList(
        'fieldSelector',
        termsUpTo('metadata.namespace=bench', (n) => `,metadata.name!=x${n}`, MAX_SELECTOR),
      ),
    expect: 400,
  },
  {
    name: 'label selector, nesting',
    detail: `a in ((((... (${MAX_SELECTOR} chars) vs a valid selector of ${MAX_SELECTOR} chars`,
    hostile: () => selectorList('labelSelector', padTo('a in ', '(', MAX_SELECTOR)),
    normal: () =>
      selectorList(
        'labelSelector',
        termsUpTo('a notin (b)', (n) => `,k${n} notin (a,b)`, MAX_SELECTOR),
      ),
    expect: 400,
  },
  {
    name: 'label selector, over the cap',
    detail: `${MAX_SELECTOR + 1} chars vs a valid selector of ${MAX_SELECTOR} chars`,
    hostile: () => selectorList('labelSelector', padTo('a', ' ', MAX_SELECTOR + 1)),
    normal: () =>
      selectorList(
        'labelSelector',
        termsUpTo('a notin (b)', (n) => `,k${n} notin (a,b)`, MAX_SELECTOR),
      ),
    expect: 400,
  },
  {
    name: 'JSON patch, copy doubling',
    detail: `20 self-copies of metadata (${DOUBLING.length} B, 2^20 copies) vs a label patch of the same size`,
    hostile: () => ({
      method: 'PATCH',
      path: `${NS}/natgateways/target`,
      contentType: 'application/json-patch+json',
      body: DOUBLING,
    }),
    normal: (i) => ({
      method: 'PATCH',
      path: `${NS}/natgateways/target`,
      contentType: 'application/json-patch+json',
      body: labelPatch(DOUBLING.length, i),
    }),
    expect: 413,
  },
  {
    name: 'YAML, 1 MiB of tiny nodes',
    detail:
      '[0,0,0,...] (1 MiB, 512 Ki nodes) vs a 1 MiB YAML NATGateway (one big annotation: 422, too long)',
    hostile: () => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: `[${'0,'.repeat(Math.floor((MAX_BODY - 3) / 2))}0]`,
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: yamlGateway(`big-${i}`, MAX_BODY - 64),
    }),
    expect: 400,
  },
  {
    name: 'YAML, keys at the cap',
    detail:
      '995 annotations + 990 labels (just under the key caps; accepted) vs a YAML NATGateway of the same size',
    hostile: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: `${wideYaml(`keys-${i}`)}spec:\n  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: net\n`,
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: yamlGateway(`keys-normal-${i}`, 2000 * 12),
    }),
    expect: 201,
  },
  {
    name: 'YAML, duplicate key',
    detail: 'the same 1,985 keys, then a repeated label vs a YAML NATGateway of the same size',
    hostile: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: `${wideYaml(`dup-${i}`)}    k0: again\n`,
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: yamlGateway(`dup-normal-${i}`, 2000 * 12),
    }),
    expect: 400,
  },
  {
    name: 'YAML, alias bomb',
    detail: '9 levels of 9 aliases (9^9 nodes if expanded) vs a YAML NATGateway of the same size',
    hostile: () => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: aliasBomb(),
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/yaml',
      body: yamlGateway(`alias-normal-${i}`, aliasBomb().length),
    }),
    expect: 400,
  },
  {
    name: 'JSON, 998 unknown fields',
    detail:
      '998 unknown fields of 200 chars (the most an object may have; the error is capped) vs a JSON NATGateway of the same size',
    hostile: () => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/json',
      body: unknownFields(MAX_BODY, 998, 200),
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/json',
      body: JSON.stringify(gateway(`wide-${i}`, { annotations: { bulk: 'x'.repeat(206_000) } })),
    }),
    expect: 400,
  },
  {
    name: 'JSON, 1 MiB of unknown fields',
    detail:
      '1 MiB of unknown fields (60,000: more than 1,000 keys in one object) vs a 240 KB JSON NATGateway',
    hostile: () => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/json',
      body: unknownFields(MAX_BODY),
    }),
    normal: (i) => ({
      method: 'POST',
      path: `${NS}/natgateways`,
      contentType: 'application/json',
      body: JSON.stringify(
        gateway(`json-${i}`, { annotations: { bulk: 'x'.repeat(ANNOTATIONS_YAML_SIZE) } }),
      ),
    }),
    expect: 400,
  },
];

async function send(base: string, r: Req): Promise<{ status: number; ms: number; bytes: number }> {
  const start = process.hrtime.bigint();
  const res = await fetch(`${base}${r.path}`, {
    method: r.method,
    headers: r.contentType ? { 'content-type': r.contentType } : {},
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    ms: Number(process.hrtime.bigint() - start) / 1e6,
    bytes: text.length,
  };
}

async function time(base: string, build: (i: number) => Req, offset: number): Promise<Timing> {
  for (let w = 0; w < 2; w++) await send(base, build(offset + 1000 + w)); // warm-up
  const ms: number[] = [];
  let last = { status: 0, bytes: 0 };
  const first = build(offset);
  for (let i = 0; i < REPEAT; i++) {
    const r = await send(base, build(offset + i));
    ms.push(r.ms);
    last = r;
  }
  ms.sort((a, b) => a - b);
  return {
    status: last.status,
    p50Ms: Math.round(quantile(ms, 0.5) * 10) / 10,
    maxMs: Math.round(ms[ms.length - 1] * 10) / 10,
    requestBytes: first.size ?? (first.body ?? first.path).length,
    responseBytes: last.bytes,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg().map((l) => Math.round(l * 100) / 100);
  await withApiGateway('bench_hostile', async (base) => {
    for (const [path, body] of [
      [`${NS}/networks`, { metadata: { name: 'net' } }],
      [`${NS}/natgateways`, gateway('target', { labels: { a: 'b' } })],
    ] as const) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`seeding ${path}: HTTP ${res.status}`);
    }
    const rows = [];
    for (const [n, shape] of SHAPES.entries()) {
      const hostile = await time(base, shape.hostile, n * 10_000);
      const normal = await time(base, shape.normal, n * 10_000 + 5_000);
      const met = hostile.status === shape.expect && hostile.maxMs < GOAL_MS;
      rows.push({
        shape: shape.name,
        detail: shape.detail,
        goal: `${shape.expect} within ${GOAL_MS} ms`,
        hostile,
        normal,
        ratio: Math.round((hostile.p50Ms / normal.p50Ms) * 100) / 100,
        met,
      });
    }
    console.log(
      `hostile inputs: goal "answers in milliseconds, 4xx where refused" (each hostile request within ${GOAL_MS} ms, with the expected status); ${REPEAT} timed requests per row, load before ${loadBefore.join(' ')}`,
    );
    console.table(
      rows.map((r) => ({
        shape: r.shape,
        goal: r.goal,
        'hostile status': r.hostile.status,
        'hostile p50 ms': r.hostile.p50Ms,
        'hostile max ms': r.hostile.maxMs,
        'hostile B': r.hostile.requestBytes,
        'answer B': r.hostile.responseBytes,
        'normal status': r.normal.status,
        'normal p50 ms': r.normal.p50Ms,
        ratio: r.ratio,
        met: r.met ? 'yes' : 'NO',
      })),
    );
    writeResult('hostile', {
      benchmark: 'hostile',
      goal: `every hostile request answered within ${GOAL_MS} ms, with a 4xx where it is refused`,
      loadBefore,
      repeat: REPEAT,
      seconds: Math.round((Date.now() - started) / 10) / 100,
      allMet: rows.every((r) => r.met),
      results: rows,
    });
    console.log('wrote bench/results/hostile.json');
    if (!rows.every((r) => r.met)) process.exitCode = 1;
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
