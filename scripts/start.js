#!/usr/bin/env node
// `npm start`: one command runs the whole system on this machine. It makes sure
// PostgreSQL and NATS answer (starting local ones when needed), builds when the
// sources changed, then runs the three services as separate processes with their
// logs prefixed by service name. Ctrl-C stops them all.
const path = require('node:path');
const concurrently = require('concurrently');
const { ensureServices } = require('./ensure-services');
const { buildIfNeeded } = require('./build-if-needed');

const ROOT = path.resolve(__dirname, '..');

const DEFAULTS = {
  PUBLIC_PREFIXES: '203.0.113.0/24,2001:db8:ffff::/120',
  DATAPLANE_BACKEND: 'memory',
};

async function main() {
  await ensureServices((m) => console.error(`[start] ${m}`));
  buildIfNeeded();
  const env = { ...DEFAULTS, ...process.env };
  const service = (name, dir) => ({
    name,
    command: `node ${path.join('dist', 'apps', dir, 'src', 'main.js')}`,
    cwd: ROOT,
    env,
  });
  const { result } = concurrently(
    [
      service('api-gateway', 'api-gateway'),
      service('allocator', 'allocator'),
      service('executor', 'dataplane-executor'),
    ],
    {
      prefix: '[{name}]',
      prefixColors: ['cyan', 'magenta', 'yellow'],
      killOthersOn: ['failure'],
      handleInput: false,
    },
  );
  await result.catch(() => {
    process.exitCode = 1;
  });
}

main().catch((err) => {
  console.error(`[start] ${err.message}`);
  process.exit(1);
});
