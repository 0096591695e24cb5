// Inbound NetworkInterface lifecycle over NATS request/reply, against the real
// api-gateway (in process) on the shared NATS: the same validation and events
// as REST, idempotent by message id, and rejections of requests without a
// reply subject recorded in the log.
import { jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, Msg, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { RecordedEvent, Status } from '@natgw/contracts';
import { eventually, testNatsNames } from '@natgw/testing';
import { InboundListener } from '../../apps/api-gateway/src/inbound/inbound-listener';
import { inboundEventId } from '../../apps/api-gateway/src/inbound/inbound-scope';
import { startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

const NIC_API = '/apis/networking.ironcore.dev/v1alpha1/namespaces/default/networkinterfaces';

const nic = (name: string, ips: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NetworkInterface',
  metadata: { name, namespace: 'default', ...extra },
  spec: { networkRef: { name: 'net-1' }, ips },
});

interface Reply {
  code: number;
  body: Record<string, unknown>;
}

describe('inbound NetworkInterface requests over NATS', () => {
  const names = testNatsNames('inbound');
  let api: TestApi;
  let nc: NatsConnection;
  const subject = (op: 'upsert' | 'delete') => `${names.prefix}.inbound.networkinterfaces.${op}`;

  beforeAll(async () => {
    api = await startTestApi('inbound-nats', {
      env: { NATS_SUBJECT_PREFIX: names.prefix, NATS_STREAM: names.stream },
    });
    const listener = api.app.get(InboundListener);
    await eventually(() => listener.listening, { what: 'the inbound subscriptions' });
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });

  afterAll(async () => {
    await nc?.close();
    await api?.close();
  });

  async function request(
    op: 'upsert' | 'delete',
    body: unknown,
    messageId?: string,
  ): Promise<Reply> {
    const h = natsHeaders();
    if (messageId) h.set('Nats-Msg-Id', messageId);
    const msg: Msg = await nc.request(
      subject(op),
      typeof body === 'string' ? body : JSON.stringify(body),
      { timeout: 20_000, headers: h },
    );
    return {
      code: Number(msg.headers?.get('Natgw-Status-Code')),
      body: msg.json<Record<string, unknown>>(),
    };
  }

  const streamOf = (name: string) => api.store.readStream(`networkinterface:default/${name}`);

  it('upsert creates the object, then updates it, with the events REST appends', async () => {
    const created = await request('upsert', {
      requestId: 'req-create-1',
      object: nic('nic-a', ['10.0.0.1']),
    });
    expect(created.code).toBe(200);
    const meta = created.body.metadata as Record<string, unknown>;
    expect(meta).toMatchObject({ name: 'nic-a', namespace: 'default', generation: 1 });
    expect(created.body.spec).toEqual({ networkRef: { name: 'net-1' }, ips: ['10.0.0.1'] });

    const updated = await request('upsert', {
      requestId: 'req-update-1',
      object: nic('nic-a', ['10.0.0.2'], { labels: { team: 'compute' } }),
    });
    expect(updated.code).toBe(200);
    expect(updated.body.metadata).toMatchObject({
      uid: meta.uid,
      generation: 2,
      labels: { team: 'compute' },
    });

    const events = await streamOf('nic-a');
    expect(events.map((e) => e.type)).toEqual([
      'NetworkInterfaceCreated',
      'NetworkInterfaceUpdated',
    ]);
    expect(events[0].id).toBe(inboundEventId('upsert', 'req-create-1', 0));
    expect(events[1].metadata).toMatchObject({
      actor: 'nats:inbound',
      correlationId: 'req-update-1',
      source: '/natgw/api-gateway',
    });
    // The REST API serves what the inbound request stored.
    const rest = (await (await fetch(`${api.url}${NIC_API}/nic-a`)).json()) as Record<
      string,
      unknown
    >;
    expect(rest.spec).toEqual({ networkRef: { name: 'net-1' }, ips: ['10.0.0.2'] });
  });

  it('answers invalid input with a 422 Status naming the field, and stores nothing', async () => {
    const reply = await request('upsert', { object: nic('nic-bad', ['not-an-ip']) });
    expect(reply.code).toBe(422);
    const status = reply.body as unknown as Status;
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 422,
      reason: 'Invalid',
    });
    expect(status.details?.causes?.map((c) => c.field)).toEqual(['spec.ips[0]']);
    expect(await streamOf('nic-bad')).toEqual([]);
  });

  it('answers a malformed request with a 400 Status', async () => {
    expect((await request('upsert', '{not json')).code).toBe(400);
    const unknownField = await request('delete', { name: 'x', propagation: 'now' });
    expect(unknownField.code).toBe(400);
    expect((unknownField.body as unknown as Status).message).toContain(
      'unknown field "propagation"',
    );
    expect((await request('delete', { namespace: 'default' })).code).toBe(400);
  });

  it('applies a retried message id once, by header or by requestId', async () => {
    const first = await request('upsert', { object: nic('nic-r', ['10.0.1.1']) }, 'msg-r-1');
    const again = await request('upsert', { object: nic('nic-r', ['10.0.1.1']) }, 'msg-r-1');
    expect(again).toEqual(first);
    // Another request changes the object; the old request retried must not undo that.
    await request('upsert', { object: nic('nic-r', ['10.0.1.2']) }, 'msg-r-2');
    const late = await request('upsert', { object: nic('nic-r', ['10.0.1.1']) }, 'msg-r-1');
    expect(late.code).toBe(200);
    expect(late.body.spec).toEqual({ networkRef: { name: 'net-1' }, ips: ['10.0.1.2'] });
    const byBody = { requestId: 'msg-r-3', object: nic('nic-r', ['10.0.1.3']) };
    await request('upsert', byBody);
    await request('upsert', byBody);
    const events = await streamOf('nic-r');
    expect(events.map((e) => e.type)).toEqual([
      'NetworkInterfaceCreated',
      'NetworkInterfaceUpdated',
      'NetworkInterfaceUpdated',
    ]);
    expect(events.map((e) => e.metadata.correlationId)).toEqual(['msg-r-1', 'msg-r-2', 'msg-r-3']);
  });

  it('deletes: the object shows its deletionTimestamp (finalizer), a retry appends nothing', async () => {
    await request('upsert', { object: nic('nic-d', ['10.0.2.1']) }, 'msg-d-0');
    const deleted = await request('delete', { name: 'nic-d', namespace: 'default' }, 'msg-d-1');
    expect(deleted.code).toBe(200);
    expect((deleted.body.metadata as Record<string, unknown>).deletionTimestamp).toEqual(
      expect.any(String),
    );
    const retried = await request('delete', { name: 'nic-d' }, 'msg-d-1');
    expect(retried.code).toBe(200);
    const types = (await streamOf('nic-d')).map((e) => e.type);
    expect(types).toEqual(['NetworkInterfaceCreated', 'NetworkInterfaceDeletionRequested']);
    const missing = await request('delete', { name: 'nic-nobody' }, 'msg-d-2');
    expect(missing.code).toBe(404);
    const stale = await request('delete', { name: 'nic-a', preconditions: { uid: 'not-its-uid' } });
    expect(stale.code).toBe(409);
  });

  it('records a failed request without a reply subject as InboundRequestRejected', async () => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', 'fire-and-forget-1');
    nc.publish(subject('upsert'), JSON.stringify({ object: nic('nic-quiet', ['999.1.1.1']) }), {
      headers: h,
    });
    const rejected = await eventually(
      async () => {
        const events = await api.store.readStream('inbound:networkinterfaces');
        return events.find(
          (e) => (e.data as { requestId?: string }).requestId === 'fire-and-forget-1',
        );
      },
      { what: 'the InboundRequestRejected event' },
    );
    expect(rejected.type).toBe('InboundRequestRejected');
    expect(rejected.data).toMatchObject({
      operation: 'upsert',
      subject: subject('upsert'),
      requestId: 'fire-and-forget-1',
      namespace: 'default',
      name: 'nic-quiet',
      code: 422,
      reason: 'Invalid',
      status: { kind: 'Status', code: 422 },
      rawEncoding: 'utf8',
    });
    expect((rejected.data as { raw: string }).raw).toContain('999.1.1.1');
    expect(await streamOf('nic-quiet')).toEqual([]);
    // Sent again: still recorded once.
    nc.publish(subject('upsert'), JSON.stringify({ object: nic('nic-quiet', ['999.1.1.1']) }), {
      headers: h,
    });
    // Requests for one object are served in order: once this one is answered, so was the retry.
    expect((await request('upsert', { object: nic('nic-quiet', ['bad']) })).code).toBe(422);
    const all: RecordedEvent[] = await api.store.readStream('inbound:networkinterfaces');
    expect(
      all.filter((e) => (e.data as { requestId?: string }).requestId === 'fire-and-forget-1'),
    ).toHaveLength(1);
  });

  it('never answers on a reply subject outside the inboxes: a JetStream API or event subject changes nothing', async () => {
    const jsm = await jetstreamManager(nc);
    const junk = `${names.prefix}.events.junk.Injected`;
    const before = await jsm.streams.info(names.stream);
    for (const [i, reply] of [`$JS.API.STREAM.PURGE.${names.stream}`, junk].entries()) {
      const h = natsHeaders();
      h.set('Nats-Msg-Id', `hostile-reply-${i}`);
      nc.publish(subject('upsert'), JSON.stringify({ object: nic(`nic-h${i}`, ['10.0.9.1']) }), {
        headers: h,
        reply,
      });
      const rejected = await eventually(
        async () =>
          (await api.store.readStream('inbound:networkinterfaces')).find(
            (e) => (e.data as { requestId?: string }).requestId === `hostile-reply-${i}`,
          ),
        { what: `the refusal of reply subject ${reply}` },
      );
      expect(rejected.data).toMatchObject({ reply, code: 400, reason: 'BadRequest' });
      expect((rejected.data as { message: string }).message).toContain('reply subject');
      // Not run: nothing stored.
      expect(await streamOf(`nic-h${i}`)).toEqual([]);
    }
    const after = await jsm.streams.info(names.stream);
    expect(after.state.first_seq).toBe(before.state.first_seq);
    expect(after.state.messages).toBeGreaterThanOrEqual(before.state.messages);
    expect(await jsm.streams.getMessage(names.stream, { last_by_subj: junk })).toBeNull();
  });
});
