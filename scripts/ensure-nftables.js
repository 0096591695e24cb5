#!/usr/bin/env node
// The dataplane tests program real nftables inside network namespaces: they need
// root, `nft` and `ip`. Install nft with apt when it is missing and we may.
const { spawnSync } = require('node:child_process');

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureNftables(log = (m) => console.error(`[ensure-nftables] ${m}`)) {
  if (!has('ip'))
    throw new Error('`ip` (iproute2) is missing: install it with `apt-get install -y iproute2`');
  if (has('nft')) return;
  const root = process.getuid && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    throw new Error(
      '`nft` is missing: install nftables (Debian: `apt-get install -y nftables`) and run the tests as root',
    );
  }
  log('installing nftables with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'nftables'], { stdio: 'inherit', env });
  if (r.status !== 0 || !has('nft'))
    throw new Error('installing nftables failed; install it by hand: apt-get install -y nftables');
}

module.exports = { ensureNftables };

if (require.main === module) {
  try {
    ensureNftables();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
