#!/usr/bin/env node
// Makes sure PostgreSQL and NATS (with JetStream) answer at DATABASE_URL and NATS_URL.
// A server that does not answer is started from the binaries on this machine; when
// there are none, it exits non-zero and says exactly what to install or set.
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/natgw';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
const DATA_DIR = path.resolve(__dirname, '..', '.data');

function canConnect(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(host, port, what, seconds = 30) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not start listening on ${host}:${port} within ${seconds}s`);
}

function which(cmd, extraDirs = []) {
  const dirs = [...(process.env.PATH || '').split(':'), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function hostPort(url, defaultPort) {
  const u = new URL(url.replace(/^tls:/, 'nats:'));
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaultPort) };
}

/**
 * The servers of a NATS_URL, which may list several (`nats://a:4222,nats://b:4222`, how a
 * cluster is named), as { url, host, port }.
 */
function natsServers(natsUrl) {
  const urls = String(natsUrl)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (urls.length === 0) throw new Error('NATS_URL names no server');
  return urls.map((url) => {
    try {
      return { url, ...hostPort(url, 4222) };
    } catch {
      throw new Error(`NATS_URL: "${url}" is not a nats:// or tls:// URL`);
    }
  });
}

async function ensureNats(natsUrl, log) {
  const servers = natsServers(natsUrl);
  for (const s of servers) if (await canConnect(s.host, s.port)) return;
  if (servers.length > 1) {
    throw new Error(
      `no server of the NATS cluster ${servers.map((s) => s.url).join(',')} answers: ` +
        `start the cluster, or set NATS_URL to one local server to have one started here.`,
    );
  }
  const [{ url, host, port }] = servers;
  const bin = which('nats-server', ['/usr/sbin', '/usr/local/bin']);
  if (!bin) {
    throw new Error(
      `NATS does not answer at ${url} and nats-server is not installed. ` +
        `Install it (Debian: apt-get install nats-server) or set NATS_URL to a running NATS with JetStream.`,
    );
  }
  const systemDir = '/var/lib/nats-server';
  const storeDir = fs.existsSync(systemDir) ? systemDir : path.join(DATA_DIR, 'nats');
  fs.mkdirSync(storeDir, { recursive: true });
  log(`starting nats-server -js on ${host}:${port} (store ${storeDir})`);
  const child = spawn(bin, ['-a', host, '-p', String(port), '-js', '-sd', storeDir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  await waitFor(host, port, 'nats-server');
}

function findPostgresBinDir() {
  if (which('initdb')) return path.dirname(which('initdb'));
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const dir = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(dir, 'initdb'))) return dir;
  }
  return undefined;
}

async function ensurePostgres(url, log) {
  const { host, port } = hostPort(url, 5432);
  if (await canConnect(host, port)) return;
  // A Debian cluster (as on the project's machines) is started the Debian way.
  if (which('pg_ctlcluster') && fs.existsSync('/etc/postgresql')) {
    for (const version of fs.readdirSync('/etc/postgresql')) {
      log(`starting PostgreSQL cluster ${version}/main`);
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'inherit',
      });
    }
    if (await canConnect(host, port)) return;
  }
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      `PostgreSQL does not answer at ${url} and no PostgreSQL server is installed. ` +
        `Install it (Debian: apt-get install postgresql) or set DATABASE_URL to a running server.`,
    );
  }
  const dataDir = path.join(DATA_DIR, 'postgres');
  const asRoot = process.getuid && process.getuid() === 0;
  const run = (args) => {
    const [cmd, ...rest] = args;
    const full = asRoot ? ['runuser', '-u', 'postgres', '--', cmd, ...rest] : args;
    const r = spawnSync(full[0], full.slice(1), { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed with exit code ${r.status}`);
  };
  fs.mkdirSync(DATA_DIR, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    fs.mkdirSync(dataDir, { recursive: true });
    if (asRoot) spawnSync('chown', ['-R', 'postgres', dataDir]);
    log(`initialising a PostgreSQL data directory in ${dataDir}`);
    run([path.join(binDir, 'initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust']);
  }
  log(`starting PostgreSQL on ${host}:${port} (data ${dataDir})`);
  run([
    path.join(binDir, 'pg_ctl'),
    '-D',
    dataDir,
    '-l',
    path.join(dataDir, 'server.log'),
    '-o',
    `-h ${host} -p ${port} -k /tmp`,
    'start',
  ]);
  await waitFor(host, port, 'PostgreSQL');
}

async function ensureServices(log = (m) => console.error(`[ensure-services] ${m}`)) {
  await ensurePostgres(process.env.DATABASE_URL || DEFAULT_DATABASE_URL, log);
  await ensureNats(process.env.NATS_URL || DEFAULT_NATS_URL, log);
}

module.exports = { ensureServices, ensureNats, ensurePostgres, canConnect, natsServers };

if (require.main === module) {
  ensureServices().catch((err) => {
    console.error(`[ensure-services] ${err.message}`);
    process.exit(1);
  });
}
