// deploy/Dockerfile cannot be built here (no container engine), so its shape is
// checked instead: a build stage and a runtime stage, production dependencies
// only at runtime, a non-root numeric user, nft and ip for the executor, and an
// entrypoint that starts each service by name. The entrypoint script itself is
// run against this checkout's dist/.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT, SERVICES } from './deploy-support';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile as stages of instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2], instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

function runs(stage: Stage): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

function copies(stage: Stage): string[][] {
  return stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args.split(/\s+/));
}

const dockerfile = fs.readFileSync(path.join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const build = stages[0];
const runtime = stages[stages.length - 1];

describe('deploy/Dockerfile', () => {
  it('has a named build stage and a runtime stage on the same Node base', () => {
    expect(stages).toHaveLength(2);
    expect(build.name).toBe('build');
    expect(runtime.name).toBe('runtime');
    expect(runtime.from).toBe(build.from);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[-.\w]*$/m);
  });

  it('installs every dependency and compiles in the build stage', () => {
    const commands = runs(build).join('\n');
    expect(commands).toMatch(/^npm ci\b/m);
    expect(commands).not.toContain('--omit=dev');
    expect(commands).toMatch(/^npm run build$/m);
  });

  it('installs production dependencies only in the runtime stage', () => {
    const commands = runs(runtime).join('\n');
    const npmInstalls = commands.match(/npm (ci|install|i)\b[^&\n]*/g) ?? [];
    expect(npmInstalls).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
    expect(
      runtime.instructions.some((i) => i.keyword === 'ENV' && /NODE_ENV=production/.test(i.args)),
    ).toBe(true);
  });

  it('copies the compiled dist/ from the build stage and no TypeScript sources', () => {
    const sources = copies(runtime);
    expect(sources).toContainEqual(['--from=build', '/src/dist', './dist']);
    for (const args of sources.filter((a) => !a[0].startsWith('--from'))) {
      for (const src of args.slice(0, -1))
        expect(['apps', 'libs', '.']).not.toContain(src.replace(/\/$/, ''));
    }
  });

  it('adds nftables and iproute2 (nft and ip for the executor) in the runtime stage', () => {
    const commands = runs(runtime).join('\n');
    expect(commands).toMatch(/apt-get install[^\n]*\bnftables\b/);
    expect(commands).toMatch(/apt-get install[^\n]*\biproute2\b/);
  });

  it('runs as a numeric non-root user, the one the chart expects', () => {
    const users = runtime.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0].split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const values = parseYaml(
      fs.readFileSync(path.join(ROOT, 'deploy', 'helm', 'natgw', 'values.yaml'), 'utf8'),
    ) as { podSecurityContext: { runAsUser: number; runAsGroup: number } };
    expect(values.podSecurityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
    // USER comes after every RUN: nothing runs as root once it is set.
    const userIndex = runtime.instructions.findIndex((i) => i.keyword === 'USER');
    expect(runtime.instructions.slice(userIndex).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('starts through tini and the natgw entrypoint, which takes the service name', () => {
    const entrypoint = runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/natgw']);
    expect(copies(runtime)).toContainEqual(['deploy/docker-entrypoint.sh', '/usr/local/bin/natgw']);
    expect(runs(runtime).join('\n')).toMatch(/\btini\b/);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignore = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const toRegExp = (pattern: string): RegExp =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?')
          .replace(/\*/g, '[^/]*')}(/.*)?$`,
      );
    for (const required of ['node_modules', 'dist', '.git']) {
      expect(ignore.some((p) => toRegExp(p).test(required))).toBe(true);
    }
    for (const stage of stages) {
      for (const args of copies(stage).filter((a) => !a[0].startsWith('--from'))) {
        for (const src of args.slice(0, -1)) {
          expect({ src, exists: fs.existsSync(path.join(ROOT, src)) }).toEqual({
            src,
            exists: true,
          });
          const ignoredBy = ignore.filter((p) => toRegExp(p).test(src.replace(/\/$/, '')));
          expect({ src, ignoredBy }).toEqual({ src, ignoredBy: [] });
        }
      }
    }
  });
});

describe('the compiled services need only production dependencies', () => {
  it('resolves every package dist/ requires to a non-dev entry of package-lock.json', () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const required = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.js')) {
          for (const m of fs.readFileSync(full, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)) {
            const spec = m[1];
            if (spec.startsWith('node:')) continue;
            const parts = spec.split('/');
            required.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
          }
        }
      }
    };
    walk(path.join(ROOT, 'dist', 'apps'));
    walk(path.join(ROOT, 'dist', 'libs'));
    const builtins = new Set(builtinModules);
    const notInProduction = [...required].filter((p) => {
      if (builtins.has(p)) return false;
      const entry = lock.packages[`node_modules/${p}`];
      return !entry || entry.dev === true;
    });
    expect(required.has('@nestjs/core')).toBe(true);
    expect(notInProduction).toEqual([]);
  });
});

describe('deploy/docker-entrypoint.sh', () => {
  const entrypoint = path.join(ROOT, 'deploy', 'docker-entrypoint.sh');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('sh', [entrypoint, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NATGW_HOME: ROOT, ...env },
      timeout: 60_000,
    });

  it('is executable', () => {
    expect(fs.statSync(entrypoint).mode & 0o111).not.toBe(0);
  });

  it.each(SERVICES)('starts %s by name (its config check answers first)', (service) => {
    // An invalid LOG_LEVEL makes the service exit at its config check, before
    // any connection: proof that the right main.js ran, without a database.
    const r = run([service], { LOG_LEVEL: 'loud' });
    expect(r.status).toBe(1);
    const line = JSON.parse(r.stderr.trim().split('\n').pop()!) as { service: string; msg: string };
    expect(line.service).toBe(service);
    expect(line.msg).toContain('LOG_LEVEL must be one of');
  });

  it('refuses an unknown or path-like name with exit 64, listing the apps', () => {
    for (const name of ['nope', '../dist', '']) {
      const r = run(name ? [name] : []);
      expect(r.status).toBe(64);
      for (const service of SERVICES) expect(r.stderr).toContain(service);
    }
  });
});
