// examples/subscriber.ts as an external user runs it: against a test stream of
// CloudEvents, from the start, from a sequence and from a time; a durable
// resumes after its last ack; a changed start needs --reset.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { jetstream, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { RecordedEvent, toCloudEvent, eventSubject } from '@natgw/contracts';
import { ensureEventStream } from '@natgw/messaging';
import { sleep, testNatsNames } from '@natgw/testing';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

function event(n: number): RecordedEvent {
  return {
    id: `77777777-7777-4777-8777-${String(n).padStart(12, '0')}`,
    streamId: `natgateway:default/gw-${n}`,
    version: 1,
    type: 'NATGatewayCreated',
    data: { uid: `uid-${n}` },
    metadata: { correlationId: `req-${n}` },
    globalPosition: String(n),
    transactionId: String(1000 + n),
    recordedAt: new Date(Date.UTC(2026, 10, 26, 10, n)),
  };
}

describe('examples/subscriber.ts', () => {
  const names = testNatsNames('example-subscriber');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let fourthAt: string;

  const run = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      ['scripts/run-ts.js', 'examples/subscriber.ts', ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NATS_URL,
          NATS_STREAM: names.stream,
          NATS_SUBJECT_PREFIX: names.prefix,
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const ids = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { id: string }).id);
    return { status: r.status, ids, stdout: r.stdout, stderr: r.stderr };
  };
  const ids = (...ns: number[]) => ns.map((n) => event(n).id);

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
    await ensureEventStream(jsm, names.stream, names.prefix);
    const js = jetstream(nc);
    const publish = async (n: number) => {
      const e = event(n);
      await js.publish(
        eventSubject(names.prefix, e.streamId, e.type),
        JSON.stringify(toCloudEvent(e, '/natgw/test')),
        {
          msgID: e.id,
        },
      );
    };
    for (const n of [1, 2, 3]) await publish(n);
    // Set-up only: the second batch gets later server timestamps than the first.
    await sleep(50);
    for (const n of [4, 5, 6]) await publish(n);
    fourthAt = (await jsm.streams.getMessage(names.stream, { seq: 4 }))!.time.toISOString();
  });

  afterAll(async () => {
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await nc?.close();
  });

  it('reads from the start and prints each CloudEvent (explicit acks)', () => {
    const r = run('--from-start', '--durable', 'ext-start', '--max', '3', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.ids).toEqual(ids(1, 2, 3));
    const first = JSON.parse(r.stdout.split('\n')[0]) as Record<string, unknown>;
    expect(first).toMatchObject({
      specversion: '1.0',
      type: 'dev.ironcore.natgw.natgateway.created.v1',
      subject: 'default/gw-1',
      correlationid: 'req-1',
    });
  });

  it('resumes a durable after its last acknowledged event', () => {
    expect(run('--durable', 'ext-start', '--max', '2', '--json').ids).toEqual(ids(4, 5));
  });

  it('starts from a stream sequence', () => {
    expect(run('--from-seq', '5', '--durable', 'ext-seq', '--max', '2', '--json').ids).toEqual(
      ids(5, 6),
    );
  });

  it('starts from a time', () => {
    const r = run('--from-time', fourthAt, '--durable', 'ext-time', '--max', '3', '--json');
    expect(r.ids).toEqual(ids(4, 5, 6));
  });

  it('refuses another start for an existing durable unless --reset', () => {
    const refused = run('--from-seq', '2', '--durable', 'ext-seq', '--max', '1', '--json');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('Add --reset to start over');
    const reset = run('--from-seq', '2', '--durable', 'ext-seq', '--reset', '--max', '1', '--json');
    expect(reset.ids).toEqual(ids(2));
  });

  it('prints a readable summary without --json, and rejects bad arguments', () => {
    const r = run('--from-seq', '6', '--durable', 'ext-text', '--max', '1');
    expect(r.stdout).toContain(
      `#6 2026-11-26T10:06:00.000Z dev.ironcore.natgw.natgateway.created.v1 subject=default/gw-6 id=${event(6).id}`,
    );
    expect(run('--from-seq', 'zero').status).toBe(2);
    expect(run('--from-time', '2026-11-26').status).toBe(2);
    expect(run('--from-start', '--from-seq', '1').status).toBe(2);
  });
});
