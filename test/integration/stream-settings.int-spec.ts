// The event stream's limits (max age, bytes, messages) and replicas are the operator's:
// natgw sets them when it creates the stream, and afterwards never undoes a change made
// with `nats stream edit`; it reports each difference from its configuration. What natgw
// needs to be correct (its subject, no delete, no purge) is restored on every start.
import { jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { NatsConnection } from '@nats-io/nats-core';
import { connectNats, ensureEventStream, StreamSettingDifference } from '@natgw/messaging';
import { testNatsNames } from '@natgw/testing';

jest.setTimeout(60_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DAY_MS = 86_400_000;
const NS_PER_MS = 1_000_000;

describe('event stream settings', () => {
  const names = testNatsNames('stream-settings');
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connectNats({ servers: NATS_URL });
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await jsm?.streams.delete(names.stream).catch(() => undefined);
    await nc?.close();
  });

  const configured = {
    maxAgeMs: 30 * DAY_MS,
    maxBytes: 8 * 1024 ** 3,
    maxMessages: 50_000_000,
  };

  it('creates the stream with the configured max age, bytes and messages', async () => {
    const info = await ensureEventStream(jsm, names.stream, names.prefix, configured);
    expect(info.config).toMatchObject({
      max_age: 30 * DAY_MS * NS_PER_MS,
      max_bytes: 8 * 1024 ** 3,
      max_msgs: 50_000_000,
      num_replicas: 1,
      deny_delete: true,
      deny_purge: true,
    });
  });

  it("keeps an operator's edit at the next start and reports it; restores only natgw's invariants", async () => {
    // The operator shortens the age and lifts the message cap by hand.
    await jsm.streams.update(names.stream, { max_age: 7 * DAY_MS * NS_PER_MS, max_msgs: -1 });
    const reported: StreamSettingDifference[] = [];
    const info = await ensureEventStream(jsm, names.stream, names.prefix, {
      ...configured,
      onDifference: (d) => reported.push(...d),
    });
    expect(info.config.max_age).toBe(7 * DAY_MS * NS_PER_MS);
    expect(info.config.max_msgs).toBe(-1);
    expect(reported).toEqual([
      { setting: 'max_age', stream: 7 * DAY_MS * NS_PER_MS, config: 30 * DAY_MS * NS_PER_MS },
      { setting: 'max_msgs', stream: -1, config: 50_000_000 },
    ]);
    // Read back from the server, not from ensureEventStream's answer.
    const stored = await jsm.streams.info(names.stream);
    expect(stored.config.max_age).toBe(7 * DAY_MS * NS_PER_MS);
    expect(stored.config.max_bytes).toBe(8 * 1024 ** 3);
  });

  it('reports nothing when the stream matches the configuration', async () => {
    const reported: StreamSettingDifference[] = [];
    await ensureEventStream(jsm, names.stream, names.prefix, {
      maxAgeMs: 7 * DAY_MS,
      maxBytes: 8 * 1024 ** 3,
      maxMessages: -1,
      onDifference: (d) => reported.push(...d),
    });
    expect(reported).toEqual([]);
  });

  it('adds its subject back to a stream an operator narrowed, keeping the other settings', async () => {
    await jsm.streams.update(names.stream, { subjects: [`${names.prefix}.other.>`] });
    const info = await ensureEventStream(jsm, names.stream, names.prefix, configured);
    expect(info.config.subjects).toEqual(
      expect.arrayContaining([`${names.prefix}.other.>`, `${names.prefix}.events.>`]),
    );
    expect(info.config.max_age).toBe(7 * DAY_MS * NS_PER_MS);
    expect(info.config).toMatchObject({ deny_delete: true, deny_purge: true });
  });
});
