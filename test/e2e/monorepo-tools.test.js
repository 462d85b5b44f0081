// Turborepo and Nx, run for real (the project's devDependencies), offline, on a temporary 3-package
// workspace (shared types, crypto, server) linked by a real `npm install`: the policydrift:extract task
// is cached, a second run is a full cache hit, and a type change in a dependency package re-runs the
// dependent package's task and changes its manifest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, REPO, copyTree, git, tmpdir } from '../helpers.js';

const FIXTURE = path.join(REPO, 'fixtures', 'workspace');
const TURBO = path.join(REPO, 'node_modules', 'turbo', 'bin', 'turbo');
const NX = path.join(REPO, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');

function sh(cmd, args, cwd, env = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

/** The fixture workspace, linked by `npm install --offline`, with policydrift (this checkout), turbo and nx on its node_modules/.bin. */
function workspace() {
  const dir = tmpdir('policydrift-tools-');
  copyTree(FIXTURE, dir);
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n.turbo/\n.nx/\n');
  const npm = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
  assert.is(npm.code, 0, npm.out);
  assert.ok(
    fs.lstatSync(path.join(dir, 'node_modules/@ws/types')).isSymbolicLink(),
    'npm linked the workspace packages',
  );
  fs.mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
  fs.symlinkSync(BIN, path.join(dir, 'node_modules/.bin/policydrift'));
  fs.symlinkSync(path.join(REPO, 'node_modules', 'turbo'), path.join(dir, 'node_modules/turbo'));
  fs.symlinkSync(path.join(REPO, 'node_modules', 'nx'), path.join(dir, 'node_modules/nx'));
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'workspace');
  return dir;
}

/** Everything local: no telemetry, no remote cache, no daemon, caches and tool state inside the temp dir. */
function offlineEnv(dir) {
  return {
    TURBO_TELEMETRY_DISABLED: '1',
    TURBO_NO_UPDATE_NOTIFIER: '1',
    TURBO_CACHE: 'local:rw',
    DO_NOT_TRACK: '1',
    NX_NO_CLOUD: 'true',
    NX_DAEMON: 'false',
    NX_TUI: 'false',
    NX_SKIP_NX_CACHE: 'false',
    XDG_CONFIG_HOME: path.join(dir, '.xdg/config'),
    XDG_CACHE_HOME: path.join(dir, '.xdg/cache'),
    OPENSPEC_TELEMETRY: '0',
    OPENSPEC_NO_UPDATE_CHECK: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
}

const addWiretap = (dir) => {
  const f = path.join(dir, 'packages/types/src/index.ts');
  const s = fs.readFileSync(f, 'utf8');
  const from = 'export type LeResponse = AccountMetadata | NoRecord;';
  assert.ok(s.includes(from));
  fs.writeFileSync(
    f,
    s.replace(
      from,
      "export type Wiretap = { kind: 'WIRETAP'; messages: string[] };\nexport type LeResponse = AccountMetadata | NoRecord | Wiretap;",
    ),
  );
};
const read = (dir, rel) => fs.readFileSync(path.join(dir, rel), 'utf8');

const turboRuns = fs.existsSync(TURBO) && sh(process.execPath, [TURBO, '--version'], REPO).code === 0;
const nxRuns = fs.existsSync(NX);

test('Turborepo: policydrift:extract cached; second run FULL TURBO; a dependency type change re-runs the dependent', () => {
  if (!turboRuns) {
    console.log(
      'SKIPPED: turbo is not runnable here (node_modules/turbo missing or its platform binary did not install)',
    );
    return;
  }
  const dir = workspace();
  const env = offlineEnv(dir);
  const run = () =>
    sh(
      process.execPath,
      [TURBO, 'run', 'policydrift:extract', '--cache-dir=.turbo/cache', '--output-logs=full', '--concurrency=1'],
      dir,
      env,
    );
  let r = run();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /@ws\/server:policydrift:extract: cache miss, executing/);
  assert.match(r.out, /@ws\/crypto:policydrift:extract: cache miss, executing/);
  assert.match(r.out, /Remote caching disabled/);
  const server1 = read(dir, 'packages/server/invariants.manifest.json');
  const crypto1 = read(dir, 'packages/crypto/invariants.manifest.json');
  assert.ok(fs.existsSync(path.join(dir, '.turbo/cache')), 'local cache inside the temp workspace');

  r = run();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Cached:\s+2 cached, 2 total/);
  assert.match(r.out, /FULL TURBO/);
  assert.not.match(r.out, /cache miss/);

  // Delete an output: the cache restores it byte for byte.
  fs.rmSync(path.join(dir, 'packages/server/invariants.manifest.json'));
  r = run();
  assert.match(r.out, /FULL TURBO/);
  assert.is(read(dir, 'packages/server/invariants.manifest.json'), server1);

  addWiretap(dir);
  r = run();
  assert.is(r.code, 0, r.out);
  assert.match(
    r.out,
    /@ws\/server:policydrift:extract: cache miss, executing/,
    'the dependent re-runs: a stale cache never hides the change',
  );
  assert.match(r.out, /@ws\/crypto:policydrift:extract: cache hit/, 'crypto does not depend on types');
  assert.match(r.out, /updated to version 2/);
  const server2 = read(dir, 'packages/server/invariants.manifest.json');
  assert.is.not(server2, server1);
  assert.ok(JSON.parse(server2).invariants.le.handlers.handle_le_request.variants.WIRETAP);
  assert.is(read(dir, 'packages/crypto/invariants.manifest.json'), crypto1);
  // What Turborepo produced is what one process extracts for the whole workspace.
  const ws = sh(process.execPath, [BIN, 'extract', '--workspace', '--check'], dir, env);
  assert.is(ws.code, 1, 'no index yet');
  assert.match(ws.out, /@ws\/server: packages\/server\/invariants\.manifest\.json is up to date \(version 2\)/);
  const idx = sh(process.execPath, [BIN, 'extract', '--workspace', '--index-only', '--write'], dir, env);
  assert.is(idx.code, 0, idx.out);
  assert.is(sh(process.execPath, [BIN, 'extract', '--workspace', '--check'], dir, env).code, 0);
});

test('Nx: policydrift:extract cached; second run all from the local cache; a dependency type change re-runs the dependent', () => {
  if (!nxRuns) {
    console.log('SKIPPED: nx is not installed (node_modules/nx missing)');
    return;
  }
  const dir = workspace();
  const env = offlineEnv(dir);
  const run = () =>
    sh(
      process.execPath,
      [NX, 'run-many', '-t', 'policydrift:extract', '--outputStyle=stream', '--parallel=1'],
      dir,
      env,
    );
  let r = run();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Successfully ran target policydrift:extract for 2 projects/);
  assert.match(r.out, /Cache:\s+0\/2 hit/);
  const server1 = read(dir, 'packages/server/invariants.manifest.json');
  assert.ok(fs.existsSync(path.join(dir, '.nx/cache')), 'local cache inside the temp workspace');

  r = run();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Cache:\s+2\/2 hit \(100%\)/);
  assert.match(r.out, /nx run @ws\/server:"?policydrift:extract"?\s+\[local cache\]/);

  addWiretap(dir);
  r = run();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Cache:\s+1\/2 hit/);
  assert.match(r.out, /nx run @ws\/crypto:"?policydrift:extract"?\s+\[local cache\]/);
  assert.not.match(r.out, /nx run @ws\/server:"?policydrift:extract"?\s+\[local cache\]/, 'the dependent re-runs');
  assert.match(r.out, /updated to version 2/);
  const server2 = read(dir, 'packages/server/invariants.manifest.json');
  assert.is.not(server2, server1);
  assert.ok(JSON.parse(server2).invariants.le.handlers.handle_le_request.variants.WIRETAP);
});

test.run();
