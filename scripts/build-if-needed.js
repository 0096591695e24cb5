#!/usr/bin/env node
// Builds dist/ when its inputs changed since the last build: the TypeScript sources
// tsconfig.build.json compiles (apps/ and libs/ without specs, libs/testing and test-support/), the
// console's sources (apps/console-ui: pages, styles, Vite config) and the two tsconfigs. dist/.build-stamp holds a fingerprint of every input's path, size and
// modification time, so an edited, added, deleted or moved file each trigger a build.
// `npm run build` writes the stamp (`--stamp`); the integration and e2e projects' global
// setup, `npm start`, the benchmarks and the CLI scripts call this first.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];

function stampFile(root) {
  return path.join(root, 'dist', '.build-stamp');
}

// The console (apps/console-ui, built by Vite) has pages, styles and its config besides .ts.
const CONSOLE_DIR = path.join('apps', 'console-ui') + path.sep;
const CONSOLE_INPUT = /\.(tsx?|css|html|mjs|json)$/;

function isBuildInput(relative) {
  if (relative.startsWith(CONSOLE_DIR)) {
    return CONSOLE_INPUT.test(relative) && !/\.spec\.tsx?$/.test(relative);
  }
  return (
    relative.endsWith('.ts') &&
    !relative.endsWith('.spec.ts') &&
    !relative.startsWith(`libs${path.sep}testing${path.sep}`) &&
    !relative.split(path.sep).includes('test-support')
  );
}

function listInputs(root, dir, found) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) listInputs(root, relative, found);
    else if (isBuildInput(relative)) found.push(relative);
  }
  return found;
}

function sourceFingerprint(root = ROOT) {
  const inputs = [...CONFIGS, ...listInputs(root, 'apps', []), ...listInputs(root, 'libs', [])];
  const hash = crypto.createHash('sha256');
  for (const relative of inputs.sort()) {
    const stat = fs.statSync(path.join(root, relative));
    hash.update(`${relative}\t${stat.size}\t${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Why dist/ must be rebuilt, or null when it is up to date. */
function buildNeeded(root = ROOT) {
  const stamp = stampFile(root);
  if (!fs.existsSync(stamp)) return 'no build yet';
  if (fs.readFileSync(stamp, 'utf8').trim() !== sourceFingerprint(root)) {
    return 'sources changed since the last build';
  }
  return null;
}

function writeStamp(root = ROOT, fingerprint = sourceFingerprint(root)) {
  fs.mkdirSync(path.dirname(stampFile(root)), { recursive: true });
  fs.writeFileSync(stampFile(root), `${fingerprint}\n`);
}

function buildIfNeeded(log = (m) => console.error(`[build] ${m}`)) {
  const reason = buildNeeded(ROOT);
  if (!reason) return false;
  log(`building dist/: ${reason}`);
  // The fingerprint of what is compiled: a file edited during the build makes the next
  // check build again.
  const fingerprint = sourceFingerprint(ROOT);
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('build failed');
  writeStamp(ROOT, fingerprint);
  return true;
}

module.exports = { buildIfNeeded, buildNeeded, sourceFingerprint, writeStamp };

if (require.main === module) {
  try {
    if (process.argv.includes('--stamp')) writeStamp();
    else buildIfNeeded();
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
