// The container image as built here (`npm run image`: a debootstrap base with this
// machine's Node, then deploy/Dockerfile with buildah): each service's entrypoint runs
// from the image (buildah run --isolation chroot, the host's network) against the local
// PostgreSQL and NATS and answers /healthz; the image runs as a non-root user and holds
// no dev dependency. `npm run test:image` builds the image, then runs this file.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  createTestDatabase,
  deleteTestStream,
  dropTestDatabase,
  eventually,
  freePort,
  testNatsNames,
} from '@natgw/testing';

jest.setTimeout(600_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { IMAGE, BUILDAH, imageSize } = require('../../scripts/build-image') as {
  IMAGE: string;
  BUILDAH: string[];
  imageSize: (name: string) => string;
};

function buildah(args: string[]): string {
  const r = spawnSync(BUILDAH[0], [...BUILDAH.slice(1), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`buildah ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** One container of the image; `run` starts a command in it with the image's user. */
class Container {
  readonly id: string;
  constructor(readonly name: string) {
    this.id = buildah(['from', '--name', name, IMAGE]);
  }

  exec(command: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(
      BUILDAH[0],
      [...BUILDAH.slice(1), 'run', '--isolation', 'chroot', this.id, '--', ...command],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** The image's ENTRYPOINT with a service name, as Kubernetes starts it. */
  start(service: string, env: Record<string, string>): ChildProcess {
    const config = JSON.parse(buildah(['inspect', '--type', 'image', IMAGE])) as {
      OCIv1: { config: { Entrypoint: string[] } };
    };
    const entrypoint = config.OCIv1.config.Entrypoint;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    return spawn(
      BUILDAH[0],
      [
        ...BUILDAH.slice(1),
        'run',
        '--isolation',
        'chroot',
        ...envArgs,
        this.id,
        '--',
        ...entrypoint,
        service,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  }

  remove(): void {
    spawnSync(BUILDAH[0], [...BUILDAH.slice(1), 'rm', this.id], { stdio: 'ignore' });
  }
}

const present = spawnSync(BUILDAH[0], [...BUILDAH.slice(1), 'inspect', '--type', 'image', IMAGE], {
  stdio: 'ignore',
});

describe(`the image ${IMAGE}`, () => {
  let container: Container;
  let url: string;
  const names = testNatsNames('image');
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    if (present.status !== 0) {
      throw new Error(`${IMAGE} is not built: run npm run image (or npm run test:image)`);
    }
    container = new Container(`natgw-image-test-${process.pid}`);
    url = await createTestDatabase('image');
  });

  afterAll(async () => {
    for (const child of running) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
    container?.remove();
    if (url) await dropTestDatabase(url);
    await deleteTestStream(names.stream);
  });

  it('runs as a non-root user and holds production dependencies only', () => {
    const id = container.exec(['id', '-u']);
    expect(id.stdout.trim()).toBe('10001');
    const deps = container.exec([
      'node',
      '-e',
      `const dev = Object.keys(require('/app/package.json').devDependencies);
       const found = dev.filter((d) => { try { require.resolve(d + '/package.json', { paths: ['/app'] }); return true; } catch { return false; } });
       console.log(JSON.stringify({ dev: dev.length, found }));`,
    ]);
    const { dev, found } = JSON.parse(deps.stdout) as { dev: number; found: string[] };
    expect(dev).toBeGreaterThan(10);
    expect(found).toEqual([]);
    expect(container.exec(['test', '-e', '/app/apps']).status).not.toBe(0);
    process.stderr.write(`[image] ${IMAGE}: ${imageSize(IMAGE)}\n`);
  });

  it.each([
    ['api-gateway', 'API_PORT', { API_HOST: '127.0.0.1' }],
    [
      'allocator',
      'ALLOCATOR_PORT',
      { ALLOCATOR_HOST: '127.0.0.1', PUBLIC_PREFIXES: '198.51.100.0/30' },
    ],
    [
      'dataplane-executor',
      'EXECUTOR_PORT',
      { EXECUTOR_HOST: '127.0.0.1', DATAPLANE_BACKEND: 'memory', NODE_NAME: 'node-image' },
    ],
  ] as const)(
    'starts %s from its entrypoint; /healthz answers',
    async (service, portVar, extra) => {
      const port = await freePort();
      let output = '';
      const child = container.start(service, {
        DATABASE_URL: url,
        NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
        NATS_STREAM: names.stream,
        NATS_SUBJECT_PREFIX: names.prefix,
        [portVar]: String(port),
        ...extra,
      });
      running.push(child);
      child.stdout?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      child.stderr?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
      const health = await eventually(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`${service} exited ${child.exitCode}: ${output}`);
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return res.status === 200 && ((await res.json()) as { status: string });
        },
        { what: `${service} /healthz from the image`, timeoutMs: 120_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      expect(health).toMatchObject({ status: expect.any(String) });
      // Its log lines are the service's own JSON.
      expect(output).toContain(`"service":"${service}"`);
    },
  );
});
