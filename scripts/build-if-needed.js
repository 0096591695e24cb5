#!/usr/bin/env node
// Builds dist/ when any TypeScript source under apps/ or libs/ is newer than the last build.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function buildIfNeeded() {
  const stamp = fs.existsSync(STAMP) ? fs.statSync(STAMP).mtimeMs : 0;
  const sources = Math.max(
    newestSource(path.join(ROOT, 'apps')),
    newestSource(path.join(ROOT, 'libs')),
    fs.statSync(path.join(ROOT, 'tsconfig.json')).mtimeMs,
  );
  if (stamp > sources) return false;
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  return true;
}

module.exports = { buildIfNeeded };

if (require.main === module) {
  try {
    buildIfNeeded();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
