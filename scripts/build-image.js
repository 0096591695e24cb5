#!/usr/bin/env node
// `npm run image`: builds the natgw container image on a machine without Docker.
//  1. A base image from Debian packages: debootstrap (bookworm, minbase, plus nftables, conntrack,
//     iproute2, tini, ca-certificates) and this machine's Node 20 binary and npm.
//  2. The natgw image from deploy/Dockerfile with `buildah bud --isolation chroot`,
//     the base passed as the NODE_IMAGE build argument.
// Then it prints the image's size. Needs root, buildah and debootstrap
// (apt-get install buildah debootstrap). Storage is buildah's vfs driver, so it needs
// no overlay or fuse support; OCI isolation (runc) does not work everywhere, chroot does.
//
// Environment: NATGW_IMAGE (default localhost/natgw:dev), NATGW_BASE_IMAGE (default
// localhost/natgw-base:bookworm-node<major>), NATGW_IMAGE_WORKDIR (the rootfs cache,
// default .data/image), DEBIAN_MIRROR (default http://deb.debian.org/debian),
// NATGW_BASE_REBUILD=1 to debootstrap again.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NODE_MAJOR = process.versions.node.split('.')[0];
const IMAGE = process.env.NATGW_IMAGE || 'localhost/natgw:dev';
const BASE = process.env.NATGW_BASE_IMAGE || `localhost/natgw-base:bookworm-node${NODE_MAJOR}`;
const WORK = path.resolve(process.env.NATGW_IMAGE_WORKDIR || path.join(ROOT, '.data', 'image'));
const MIRROR = process.env.DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const PACKAGES = ['nftables', 'conntrack', 'iproute2', 'tini', 'ca-certificates'];
const BUILDAH = ['buildah', '--storage-driver', 'vfs'];

function log(message) {
  console.error(`[image] ${message}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: options.capture ? 'pipe' : 'inherit', ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const detail = options.capture ? `: ${String(r.stderr).trim().slice(-2000)}` : '';
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}${detail}`);
  }
  return options.capture ? String(r.stdout).trim() : '';
}

function need(cmd, pkg) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} is not installed (Debian: apt-get install ${pkg})`);
}

function imageExists(name) {
  return (
    spawnSync(BUILDAH[0], [...BUILDAH.slice(1), 'inspect', '--type', 'image', name], {
      stdio: 'ignore',
    }).status === 0
  );
}

/** The Node binary and npm of this machine, as installed by Debian or NodeSource. */
function hostNode() {
  const node = fs.realpathSync(process.execPath);
  const npmDirs = ['/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm'];
  const npm = npmDirs.find((d) => fs.existsSync(path.join(d, 'bin', 'npm-cli.js')));
  if (!npm) throw new Error(`npm not found in ${npmDirs.join(' or ')}`);
  return { node, npm };
}

function buildRootfs(rootfs) {
  const done = path.join(rootfs, '.natgw-debootstrap-done');
  if (fs.existsSync(done) && process.env.NATGW_BASE_REBUILD !== '1') {
    log(`reusing ${rootfs}`);
    return;
  }
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(rootfs), { recursive: true });
  log(`debootstrap bookworm (minbase + ${PACKAGES.join(', ')}) into ${rootfs}`);
  run('debootstrap', [
    '--variant=minbase',
    `--include=${PACKAGES.join(',')}`,
    'bookworm',
    rootfs,
    MIRROR,
  ]);
  fs.writeFileSync(done, new Date().toISOString());
}

function buildBase() {
  need('debootstrap', 'debootstrap');
  const rootfs = path.join(WORK, 'rootfs');
  buildRootfs(rootfs);
  const { node, npm } = hostNode();
  log(`base ${BASE}: Debian rootfs + ${node} (v${process.versions.node}) + ${npm}`);
  const ctr = run(BUILDAH[0], [...BUILDAH.slice(1), 'from', 'scratch'], { capture: true });
  try {
    const mount = run(BUILDAH[0], [...BUILDAH.slice(1), 'mount', ctr], { capture: true });
    // The rootfs without what an image does not need (package caches, docs, manuals).
    run('tar', [
      '-C',
      rootfs,
      '--exclude=./.natgw-debootstrap-done',
      '--exclude=./var/cache/apt/archives/*.deb',
      '--exclude=./var/lib/apt/lists/*',
      '--exclude=./usr/share/doc/*',
      '--exclude=./usr/share/man/*',
      '--exclude=./usr/share/locale/*',
      '-cf',
      path.join(WORK, 'rootfs.tar'),
      '.',
    ]);
    run('tar', ['-C', mount, '-xf', path.join(WORK, 'rootfs.tar')]);
    fs.rmSync(path.join(WORK, 'rootfs.tar'));
    fs.copyFileSync(node, path.join(mount, 'usr/local/bin/node'));
    fs.chmodSync(path.join(mount, 'usr/local/bin/node'), 0o755);
    fs.mkdirSync(path.join(mount, 'usr/local/lib/node_modules'), { recursive: true });
    fs.cpSync(npm, path.join(mount, 'usr/local/lib/node_modules/npm'), { recursive: true });
    fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(mount, 'usr/local/bin/npm'));
    fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(mount, 'usr/local/bin/npx'));
    run(BUILDAH[0], [...BUILDAH.slice(1), 'umount', ctr]);
    run(BUILDAH[0], [
      ...BUILDAH.slice(1),
      'config',
      '--env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--cmd',
      'node',
      '--label',
      `org.opencontainers.image.description=Debian bookworm (debootstrap) with Node ${process.versions.node}`,
      ctr,
    ]);
    run(BUILDAH[0], [...BUILDAH.slice(1), 'commit', '--rm', ctr, BASE]);
  } catch (err) {
    spawnSync(BUILDAH[0], [...BUILDAH.slice(1), 'rm', ctr], { stdio: 'ignore' });
    throw err;
  }
}

/** This process's hard limit of open files (what a build step may be given). */
function openFileLimit() {
  const out = run('sh', ['-c', 'ulimit -Hn'], { capture: true });
  return out === 'unlimited' ? 1048576 : Number(out);
}

function buildImage() {
  log(`natgw image ${IMAGE} from deploy/Dockerfile (NODE_IMAGE=${BASE})`);
  // The build's `npm ci` reads packages from this cache first and keeps what it downloads
  // for the next build; it starts as a copy of this machine's npm cache. `.keep` tells the
  // Dockerfile that the cache is mounted, not part of the image.
  const npmCache = path.join(WORK, 'npm-cache');
  const hostCache = path.join(require('node:os').homedir(), '.npm', '_cacache');
  if (!fs.existsSync(path.join(npmCache, '_cacache'))) {
    fs.mkdirSync(npmCache, { recursive: true });
    if (fs.existsSync(hostCache)) run('cp', ['-a', hostCache, path.join(npmCache, '_cacache')]);
  }
  fs.writeFileSync(path.join(npmCache, '.keep'), 'mounted by scripts/build-image.js\n');
  run(
    BUILDAH[0],
    [
      ...BUILDAH.slice(1),
      'bud',
      '--isolation',
      'chroot',
      '--layers=false',
      // npm ci opens many files at once; chroot isolation keeps a low default limit.
      '--ulimit',
      `nofile=${openFileLimit()}:${openFileLimit()}`,
      '--build-arg',
      `NODE_IMAGE=${BASE}`,
      '--volume',
      `${npmCache}:/tmp/npm-cache`,
      '-f',
      'deploy/Dockerfile',
      '-t',
      IMAGE,
      '.',
    ],
    { cwd: ROOT },
  );
}

/** The image's size as buildah lists it (e.g. "302 MB"). */
function imageSize(name) {
  const out = run(BUILDAH[0], [...BUILDAH.slice(1), 'images', '--format', '{{.Size}}', name], {
    capture: true,
  });
  return out.split('\n')[0].trim();
}

function main() {
  if (process.getuid && process.getuid() !== 0) throw new Error('run as root (buildah with vfs)');
  need('buildah', 'buildah');
  fs.mkdirSync(WORK, { recursive: true });
  if (!imageExists(BASE) || process.env.NATGW_BASE_REBUILD === '1') buildBase();
  else log(`reusing base ${BASE}`);
  buildImage();
  const size = imageSize(IMAGE);
  const base = imageSize(BASE);
  log(`built ${size.listed} (base ${base.listed})`);
  console.log(
    JSON.stringify({ image: IMAGE, base: BASE, size: size.listed, baseSize: base.listed }),
  );
}

module.exports = { IMAGE, BASE, BUILDAH, imageSize };

if (require.main === module) {
  try {
    main();
  } catch (err) {
    console.error(`[image] ${err.message}`);
    process.exit(1);
  }
}
