// The MetricsModule inside a real Nest HTTP app: /metrics serves the registry in
// the Prometheus text format, and every request lands in the latency histogram
// under its route pattern (not its raw path).
import {
  Controller,
  Get,
  INestApplication,
  Module,
  NotFoundException,
  Param,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { Metrics, MetricsModule } from '@natgw/platform';

@Controller('apis/things')
class ThingsController {
  constructor(private readonly metrics: Metrics) {}

  @Get(':name')
  get(@Param('name') name: string): { name: string } {
    if (name === 'missing') throw new NotFoundException(`thing ${name} not found`);
    this.metrics.eventsConsumed.inc({ consumer: 'things', event_type: 'ThingRead' });
    return { name };
  }
}

@Module({
  imports: [MetricsModule.forRoot({ service: 'metrics-test' })],
  controllers: [ThingsController],
})
class MetricsTestModule {}

function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = [...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]);
    if (JSON.stringify(found.sort()) === wanted) return Number(m[3]);
  }
  return undefined;
}

describe('MetricsModule over HTTP', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MetricsTestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('serves /metrics in the Prometheus text format with process metrics', async () => {
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    const contentType = String(res.headers['content-type']).split(/;\s*/);
    expect(contentType[0]).toBe('text/plain');
    expect(contentType).toContain('version=0.0.4');
    expect(res.text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(res.text).toMatch(/^nodejs_eventloop_lag_seconds\{service="metrics-test"\} /m);
  });

  it('records each request under its route pattern, method and status', async () => {
    const server = app.getHttpServer();
    await request(server).get('/apis/things/a').expect(200);
    await request(server).get('/apis/things/b').expect(200);
    await request(server).get('/apis/things/missing').expect(404);
    await request(server).get('/no/such/route').expect(404);

    const text = (await request(server).get('/metrics').expect(200)).text;
    const count = (route: string, status: string): number | undefined =>
      sampleValue(text, 'natgw_http_request_duration_seconds_count', {
        method: 'GET',
        route,
        status,
        service: 'metrics-test',
      });
    expect(count('/apis/things/:name', '200')).toBe(2);
    expect(count('/apis/things/:name', '404')).toBe(1);
    expect(count('unmatched', '404')).toBe(1);
    expect(text).not.toContain('route="/apis/things/a"');
  });

  it('serves metrics a service records through the injected Metrics', async () => {
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(
      sampleValue(text, 'natgw_events_consumed_total', {
        consumer: 'things',
        event_type: 'ThingRead',
        service: 'metrics-test',
      }),
    ).toBe(2);
  });
});
