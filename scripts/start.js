#!/usr/bin/env node
// `npm start`: one command runs the whole system on this machine. It makes sure
// PostgreSQL and NATS answer (starting local ones when needed), builds when the
// sources changed, then runs the three services as separate processes with their
// logs prefixed by service name. Ctrl-C stops them all. On a terminal the services
// log readable lines (pino-pretty); piped, or with LOG_FORMAT=json, they log JSON.
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
  const env = { ...DEFAULTS, ...serviceLogEnv(process.env, process.stdout.isTTY === true) };
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

/**
 * The services' stdout is a pipe to concurrently, so they cannot see the terminal
 * themselves: on a terminal, ask them for pino-pretty with colours, unless LOG_FORMAT is set.
 */
function serviceLogEnv(env, isTTY) {
  if (!isTTY || (env.LOG_FORMAT && env.LOG_FORMAT !== 'auto')) return env;
  return { FORCE_COLOR: '1', ...env, LOG_FORMAT: 'pretty' };
}

module.exports = { serviceLogEnv };

if (require.main === module)
  main().catch((err) => {
    console.error(`[start] ${err.message}`);
    process.exit(1);
  });
