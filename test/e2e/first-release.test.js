// The first hour of a new user: after `init`, the tour's next commands work. `check` without a baseline says
// exactly what to run; the starter profile that init writes records the first (bootstrap) release; then
// `check` passes. Input errors (an unknown profile) come before extraction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO, spawnTimed } from '../helpers.js';

const OPENSPEC = path.join(REPO, 'node_modules', '.bin', 'openspec');
const POLICYDRIFT_FILES = [
  'invariants.manifest.json',
  'policydrift.config.json',
  'release',
  'openspec',
  '.policydrift',
];

function commitAll(dir, msg) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
}

/** The sample service without any policydrift file, in a fresh repository (node_modules borrowed, ignored). */
function freshRepo() {
  const dir = tmpdir('policydrift-first-');
  copyTree(SAMPLE, dir);
  for (const f of POLICYDRIFT_FILES) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules\nrelease/artifacts/\n');
  git(dir, 'init', '-q');
  return dir;
}

test('init, then check explains the first release; release --profile prod (written by init) bootstraps; check passes', () => {
  const dir = freshRepo();
  const init = cli(['init'], { cwd: dir });
  assert.is(init.code, 0, init.stderr);
  commitAll(dir, 'policydrift: init');

  let r = cli(['check'], { cwd: dir });
  assert.is(r.code, 2, r.stdout + r.stderr);
  assert.is(
    r.stderr,
    'policydrift: error: release/registry.json: no active release to compare with\n' +
      '  hint: record the first release (the baseline): `policydrift release --profile prod --signing-key <key>`, then commit release/registry.json; until then compare with a branch: `policydrift check --against main`\n',
  );
  r = cli(['check', '--registry-ref', 'main'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /release\/registry\.json at main: no active release to compare with\n {2}hint: .*`policydrift release --profile prod --signing-key <key>`, then commit release\/registry\.json and merge it into main;/,
  );

  const os = spawnTimed(OPENSPEC, ['init', '--tools', 'none', '--no-animation', '.'], {
    cwd: dir,
    env: { ...process.env, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  assert.is(os.status, 0, os.stderr);
  commitAll(dir, 'openspec init');

  // The release key, listed where init pointed "releaseSigners" (as its next steps say).
  const key = path.join(tmpdir('policydrift-keys-'), 'release_key');
  assert.is(spawnTimed('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'release', '-f', key]).status, 0);
  assert.is(
    JSON.parse(fs.readFileSync(path.join(dir, 'policydrift.config.json'), 'utf8')).releaseSigners,
    '.policydrift/release_signers',
  );
  // init created the file with the recipe in its header; the key is appended below it.
  assert.match(
    fs.readFileSync(path.join(dir, '.policydrift/release_signers'), 'utf8'),
    /^# policydrift release signers/,
  );
  fs.appendFileSync(
    path.join(dir, '.policydrift/release_signers'),
    `release@ci ${fs.readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  commitAll(dir, 'release signer');

  r = cli(['release', '--profile', 'prod', '--version', '0.1.0', '--signing-key', key], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /RELEASED 0\.1\.0/);
  assert.match(r.stdout, /BOOTSTRAP/);
  commitAll(dir, 'release 0.1.0');

  r = cli(['check', '--registry-ref', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /release 0\.1\.0/);
});

test('release with an unknown or missing profile fails before extraction (even when extraction would fail)', () => {
  const dir = freshRepo();
  // A configured handler that does not exist: extraction would stop with its own error.
  fs.writeFileSync(path.join(dir, 'policydrift.config.json'), JSON.stringify({ leHandlers: ['src/nope.ts#missing'] }));
  commitAll(dir, 'broken config reference');
  assert.is(cli(['extract'], { cwd: dir }).code, 2, 'the reference does break extraction');
  const r = cli(['release', '--profile', 'prod'], { cwd: dir });
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /^policydrift: error: unknown profile "prod" in the config at HEAD\n {2}hint: add one under "profiles" in policydrift\.config\.json, e\.g\. "profiles": \{ "prod": \{ "build": \["npm", "run", "build"\], "outDir": "dist" \} \}/,
  );
  assert.not.match(r.stderr, /nope\.ts/);
});

test.run();
