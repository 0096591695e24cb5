import { INestApplication, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import { RecordedEvent } from '@natgw/contracts';
import { EventStoreModule, PostgresEventStore } from '@natgw/event-store';
import {
  connectNats,
  EventConsumer,
  EventConsumerHost,
  EventHandlerContext,
  MESSAGING_MIGRATIONS,
  MessagingHealth,
  MessagingModule,
  OnEvent,
  RelayHost,
} from '@natgw/messaging';
import { HealthModule, ReadinessRegistry } from '@natgw/platform';
import { createTestDatabase, dropTestDatabase, eventually, testNatsNames } from '@natgw/testing';

jest.setTimeout(120_000);

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

@Injectable()
class Tally {
  readonly calls: Array<{ method: string; type: string; deliveryCount: number }> = [];
}

@EventConsumer({ durable: 'nest-gateways', ackWaitMs: 5_000 })
class GatewayHandlers {
  constructor(private readonly tally: Tally) {}

  @OnEvent('GatewayCreated', 'GatewayUpdated')
  async onGateway(event: RecordedEvent, ctx: EventHandlerContext): Promise<void> {
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

  @OnEvent('GatewayDeleted')
  async onDeleted(event: RecordedEvent): Promise<void> {
    this.tally.calls.push({ method: 'onDeleted', type: event.type, deliveryCount: 1 });
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

  it('discovers @EventConsumer classes, relays, routes by type, reports readiness and shuts down cleanly', async () => {
    @Module({ providers: [Tally, GatewayHandlers] })
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
    await app.init();

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
    const seen: Array<{ id: string }> = await ds.query(
      `SELECT event_id::text AS id FROM seen WHERE consumer = 'nest-gateways'`,
    );
    expect(seen.map((r) => r.id).sort()).toEqual(
      [created.events[0].id, created.events[1].id].sort(),
    );
    const [consumer] = app.get(EventConsumerHost).all;
    await eventually(() => consumer.stats.ignored === 1, { what: 'the other type acked' });
    const status = health.status();
    expect(status).toMatchObject({
      natsConnected: true,
      consumersRunning: true,
      consumers: [{ durable: 'nest-gateways', consuming: true }],
      relay: { running: true, leader: true },
    });

    await app.close();
    expect(consumer.isConsuming).toBe(false);
    expect(app.get(RelayHost).relay?.isRunning).toBe(false);
    expect(health.natsConnected).toBe(false);
  });
});
