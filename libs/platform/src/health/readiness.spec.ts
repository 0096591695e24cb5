import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { HealthModule } from './health.module';
import { ReadinessRegistry } from './readiness';

describe('HealthModule (readiness through @nestjs/terminus)', () => {
  let app: INestApplication;
  let registry: ReadinessRegistry;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [HealthModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    registry = app.get(ReadinessRegistry);
  });

  afterEach(async () => {
    await app.close();
  });

  it('is not ready without any check', async () => {
    expect(await registry.evaluate()).toEqual({ ready: false, checks: {} });
    const res = await request(app.getHttpServer()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'unavailable', ready: false, checks: {} });
  });

  it('answers 200 with every check up', async () => {
    registry.register('database', () => true);
    registry.register('nats', async () => true);
    const res = await request(app.getHttpServer()).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      ready: true,
      checks: { database: true, nats: true },
      details: { database: { status: 'up' }, nats: { status: 'up' } },
    });
  });

  it('answers 503 naming the failed checks; a check that throws is down with its message', async () => {
    registry.register('database', () => true);
    registry.register('nats', () => false);
    registry.register('consumers', () => {
      throw new Error('consumer allocator is not pulling');
    });
    const res = await request(app.getHttpServer()).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({
      status: 'unavailable',
      ready: false,
      checks: { database: true, nats: false, consumers: false },
      info: { database: { status: 'up' } },
      error: {
        nats: { status: 'down' },
        consumers: { status: 'down', message: 'consumer allocator is not pulling' },
      },
    });
  });

  it('keeps /healthz a constant answer', async () => {
    registry.register('nats', () => false);
    const res = await request(app.getHttpServer()).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});
