#!/usr/bin/env node
// The dataplane tests program real nftables inside network namespaces: they need
// root, `nft` and `ip`, and `conntrack` (drain deletes a drained IP's connections). Install nft
// and conntrack with apt when they are missing and we may.
const { spawnSync } = require('node:child_process');

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensurePackage(cmd, pkg, log) {
  if (has(cmd) || has(`/usr/sbin/${cmd}`)) return;
  const root = process.getuid && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    throw new Error(
      `\`${cmd}\` is missing: install ${pkg} (Debian: \`apt-get install -y ${pkg}\`) and run the tests as root`,
    );
  }
  log(`installing ${pkg} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  if (r.status !== 0 || !(has(cmd) || has(`/usr/sbin/${cmd}`)))
    throw new Error(`installing ${pkg} failed; install it by hand: apt-get install -y ${pkg}`);
}

function ensureNftables(log = (m) => console.error(`[ensure-nftables] ${m}`)) {
  if (!has('ip'))
    throw new Error('`ip` (iproute2) is missing: install it with `apt-get install -y iproute2`');
  ensurePackage('nft', 'nftables', log);
  ensurePackage('conntrack', 'conntrack', log);
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
