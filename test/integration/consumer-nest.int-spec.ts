import { Controller, INestApplication, Injectable, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { jetstreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { InvalidMessageError, RecordedEvent } from '@natgw/contracts';
import { EventStoreModule, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  DEAD_LETTER_EVENT_TYPE,
  deadLetterStreamId,
  JetStreamContext,
  JetStreamServer,
  MessagingHealth,
  MessagingModule,
  NatsReply,
  NatsRequestClient,
  NatsRequestContext,
  RelayHost,
  startJetStreamTransport,
} from '@natgw/messaging';
import { HealthModule, ReadinessRegistry } from '@natgw/platform';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';
import { MESSAGING_MIGRATIONS } from '@natgw/schema';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

@Injectable()
class Tally {
  readonly calls: Array<{ method: string; type: string; deliveryCount: number }> = [];
  readonly audit: string[] = [];
}

const GATEWAYS = { durable: 'nest-gateways', ackWaitMs: 5_000 };

@Controller()
class GatewayHandlers {
  constructor(private readonly tally: Tally) {}

  @EventPattern(['GatewayCreated', 'GatewayUpdated'], GATEWAYS)
  async onGateway(@Payload() event: RecordedEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    this.tally.calls.push({
      method: 'onGateway',
      type: event.type,
      deliveryCount: ctx.deliveryCount,
    });
    await ctx.manager.query(`INSERT INTO seen (consumer, event_id) VALUES ($1, $2)`, [
      ctx.consumer,
      event.id,
    ]);
  }

  @EventPattern('GatewayDeleted', { durable: 'nest-gateways' })
  async onDeleted(@Payload() event: RecordedEvent): Promise<void> {
    this.tally.calls.push({ method: 'onDeleted', type: event.type, deliveryCount: 1 });
  }

  /** Fails on the first delivery (a transient error: delayed nak, then redelivered). */
  @EventPattern('GatewayFlaky', { durable: 'nest-gateways', nakBackoff: { initialMs: 200 } })
  async onFlaky(@Payload() event: RecordedEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    this.tally.calls.push({
      method: 'onFlaky',
      type: event.type,
      deliveryCount: ctx.deliveryCount,
    });
    if (ctx.deliveryCount === 1) throw new Error('database hiccup');
  }

  /** Can never be handled: must be dead-lettered at once, not retried. */
  @EventPattern('GatewayPoison', { durable: 'nest-gateways' })
  async onPoison(@Payload() event: RecordedEvent, @Ctx() ctx: JetStreamContext): Promise<void> {
    this.tally.calls.push({
      method: 'onPoison',
      type: event.type,
      deliveryCount: ctx.deliveryCount,
    });
    throw new InvalidMessageError('spec.poison is not allowed');
  }
}

/** A second durable over the same events: every type, through the catch-all pattern. */
@Controller()
class AuditHandlers {
  constructor(private readonly tally: Tally) {}

  @EventPattern('>', { durable: 'nest-audit' })
  async onAny(@Payload() event: RecordedEvent): Promise<void> {
    this.tally.audit.push(event.type);
  }

  /** Core NATS request/reply on `<prefix>.echo.*`. */
  @MessagePattern('echo.*', { queue: 'nest-echo' })
  echo(@Payload() data: Uint8Array, @Ctx() ctx: NatsRequestContext): NatsReply {
    return {
      data: `${ctx.message.subject}:${Buffer.from(data).toString('utf8')}`,
      headers: { 'Natgw-Test': 'yes' },
    };
  }
}

describe('MessagingModule (Nest wiring)', () => {
  const names = testNatsNames('consumer_nest');
  let url: string;
  let app: INestApplication;

  beforeAll(async () => {
    url = await createTestDatabase('consumer_nest');
  });

  afterAll(async () => {
    await app?.close();
    const nc = await connectNats({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(names.stream).catch(() => undefined);
    await nc.close();
    if (url) await dropTestDatabase(url);
  });

  it('serves @EventPattern handlers as durable consumers and @MessagePattern as requests, relays, reports readiness and shuts down cleanly', async () => {
    @Module({ providers: [Tally], controllers: [GatewayHandlers, AuditHandlers] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule,
        EventStoreModule.forRoot({ url, migrations: MESSAGING_MIGRATIONS }),
        MessagingModule.forRootAsync({
          useFactory: () => ({
            nats: { servers: NATS_URL, name: 'nest-int-spec' },
            streamName: names.stream,
            subjectPrefix: names.prefix,
            source: '/natgw/test',
            relay: { pollIntervalMs: 100 },
          }),
        }),
        FeatureModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.enableShutdownHooks();
    await startJetStreamTransport(app);

    const ds = app.get(DataSource);
    await ds.query(`CREATE TABLE seen (consumer text NOT NULL, event_id uuid NOT NULL)`);
    const store = app.get(PostgresEventStore);
    const tally = app.get(Tally);
    const readiness = app.get(ReadinessRegistry);
    const health = app.get(MessagingHealth);

    await eventually(async () => (await readiness.evaluate()).ready, { what: 'readiness' });
    const ready = await readiness.evaluate();
    expect(ready.checks).toMatchObject({ nats: true, consumers: true });
    await eventually(() => app.get(RelayHost).relay?.isLeader, { what: 'the relay to lead' });

    const created = await store.append('gateway:default/a', [
      { type: 'GatewayCreated', data: {} },
      { type: 'GatewayUpdated', data: {} },
      { type: 'SomethingElse', data: {} },
      { type: 'GatewayDeleted', data: {} },
    ]);
    await eventually(() => tally.calls.length === 3, { what: 'three handled events' });
    expect(tally.calls.map((c) => [c.method, c.type])).toEqual([
      ['onGateway', 'GatewayCreated'],
      ['onGateway', 'GatewayUpdated'],
      ['onDeleted', 'GatewayDeleted'],
    ]);
    await eventually(() => tally.audit.length === 4, { what: 'the catch-all durable' });
    expect(tally.audit).toEqual([
      'GatewayCreated',
      'GatewayUpdated',
      'SomethingElse',
      'GatewayDeleted',
    ]);
    const seen: Array<{ id: string }> = await ds.query(
      `SELECT event_id::text AS id FROM seen WHERE consumer = 'nest-gateways'`,
    );
    expect(seen.map((r) => r.id).sort()).toEqual(
      [created.events[0].id, created.events[1].id].sort(),
    );
    const server = app.get(JetStreamServer);
    const consumer = server.all.find((c) => c.name === 'nest-gateways')!;
    await eventually(() => consumer.stats.ignored === 1, { what: 'the other type acked' });
    const status = health.status();
    expect(status).toMatchObject({
      natsConnected: true,
      consumersRunning: true,
      relay: { running: true, leader: true },
    });
    expect(status.consumers.map((c) => [c.durable, c.consuming]).sort()).toEqual([
      ['nest-audit', true],
      ['nest-gateways', true],
    ]);

    // A transient failure is retried (delayed nak); an InvalidMessageError is dead-lettered
    // on its first delivery: the transport hands the handler's own error to the consumer.
    await store.append('gateway:default/b', [
      { type: 'GatewayFlaky', data: {} },
      { type: 'GatewayPoison', data: {} },
    ]);
    await eventually(() => tally.calls.filter((c) => c.method === 'onFlaky').length === 2, {
      what: 'the flaky event redelivered',
    });
    expect(tally.calls.filter((c) => c.method === 'onFlaky').map((c) => c.deliveryCount)).toEqual([
      1, 2,
    ]);
    const dead = await eventually(
      async () => {
        const page = await store.readStream(deadLetterStreamId('nest-gateways'));
        return page.length > 0 ? page : undefined;
      },
      { what: 'the poison event dead-lettered' },
    );
    expect(dead.map((e) => e.type)).toEqual([DEAD_LETTER_EVENT_TYPE]);
    expect((dead[0].data as { reason: string }).reason).toMatch(/spec\.poison is not allowed/);
    expect(tally.calls.filter((c) => c.method === 'onPoison')).toHaveLength(1);
    await eventually(() => consumer.stats.deadLettered === 1 && consumer.stats.naks === 1, {
      what: 'one nak and one dead letter',
    });

    // Request/reply over core NATS through the same transport.
    expect(server.listening).toBe(true);
    const client = await connectNats({ servers: NATS_URL });
    try {
      const reply = await client.request(`${names.prefix}.echo.hello`, 'ping', { timeout: 5_000 });
      expect(reply.string()).toBe(`${names.prefix}.echo.hello:ping`);
      expect(reply.headers?.get('Natgw-Test')).toBe('yes');
    } finally {
      await client.close();
    }
    // The same through Nest's ClientProxy: send() answers with the reply; emit() has no bus.
    const proxy = app.get(NatsRequestClient);
    await expect(firstValueFrom(proxy.send('echo.again', 'pong'))).resolves.toEqual({
      data: `${names.prefix}.echo.again:pong`,
      headers: { 'Natgw-Test': 'yes' },
    });
    await expect(firstValueFrom(proxy.send('echo.>', 'x'))).rejects.toThrow(/without wildcards/);
    await expect(firstValueFrom(proxy.emit('GatewayCreated', {}))).rejects.toThrow(
      /appended to the PostgreSQL log/,
    );

    await app.close();
    expect(consumer.isConsuming).toBe(false);
    expect(app.get(RelayHost).relay?.isRunning).toBe(false);
    expect(health.natsConnected).toBe(false);
  });
});
