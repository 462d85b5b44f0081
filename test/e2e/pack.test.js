// SLOW BUT REQUIRED (~15-30 s): what `npm pack` ships must work in a fresh
// project: install the tarball (from the local npm cache), `policydrift init`,
// `extract --check` and `check --against HEAD` all pass. Needs a built dist/
// (`npm test` builds first); the pack itself skips the `prepack` build. The
// tarball ships dist/ and has no `prepare` script (nothing builds at install).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, SAMPLE, copyTree, git, tmpdir, spawnTimed } from '../helpers.js';

const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

/** The caller's environment without npm's run-script variables (an `npm test` parent must not steer the nested npm). */
function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return {
    ...env,
    NO_COLOR: '1',
    OPENSPEC_TELEMETRY: '0',
    OPENSPEC_NO_UPDATE_CHECK: '1',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  };
}

function run(cmd, args, cwd, timeout = 60_000) {
  const r = spawnTimed(cmd, args, { cwd, env: cleanEnv(), timeout });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

test('npm pack yields a package that installs and works in a fresh project', () => {
  const started = Date.now();
  const out = tmpdir('policydrift-pack-');
  const p = run('npm', ['pack', '--pack-destination', out, '--ignore-scripts', '--json'], REPO);
  assert.is(p.code, 0, p.stderr);
  const [info] = JSON.parse(p.stdout);
  const shipped = new Set(info.files.map((f) => f.path));
  for (const f of [
    'bin/policydrift.js',
    'dist/cli/index.js',
    'dist/cli/init.js',
    'dist/init/index.js',
    'dist/git/index-tree.js',
    'dist/cache/index.js',
    'manifest.schema.json',
    'config.schema.json',
    'registry.schema.json',
    'diff.schema.json',
    'workspace.schema.json',
    'dist/workspace/index.js',
    'docs/monorepo.md',
    'templates/hooks/husky-pre-commit',
    'templates/hooks/lefthook.yml',
    'templates/github/policydrift.yml',
    'templates/gitlab-ci.yml',
    '.pre-commit-hooks.yaml',
    'action.yml',
    'docs/config.md',
    'docs/hooks.md',
    'docs/ci.md',
    'docs/threat-model.md',
    'package.json',
  ]) {
    assert.ok(shipped.has(f), `the package ships ${f}`);
  }
  assert.not.ok(
    [...shipped].some((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('fixtures/')),
    'no tests, sources or fixtures in the package',
  );
  const tgz = path.join(out, info.filename);
  assert.ok(fs.existsSync(tgz));
  // Installing the tarball must not build anything: dist/ is shipped, and the build runs at `prepack`.
  assert.is(
    pkg.scripts.prepare,
    undefined,
    'no prepare script (it would run for git installs and needs devDependencies)',
  );
  assert.is(pkg.scripts.prepack, 'npm run build');
  const tar = spawnTimed('tar', ['-xzOf', tgz, 'package/package.json']);
  assert.is(tar.status, 0, tar.stderr);
  assert.is(JSON.parse(tar.stdout).scripts.prepare, undefined);

  // A fresh project: the sample service without any policydrift file, in a git repository.
  const proj = path.join(out, 'svc');
  fs.mkdirSync(proj);
  copyTree(SAMPLE, proj);
  for (const f of ['invariants.manifest.json', 'policydrift.config.json', 'release', 'openspec', '.policydrift'])
    fs.rmSync(path.join(proj, f), { recursive: true, force: true });
  fs.writeFileSync(
    path.join(proj, 'package.json'),
    JSON.stringify({ name: 'svc', version: '1.0.0', private: true, type: 'module' }, null, 2) + '\n',
  );
  fs.appendFileSync(path.join(proj, '.gitignore'), 'node_modules/\n');
  git(proj, 'init', '-q');

  // The documented install path until the package is published: `npm i -D ./policydrift-<version>.tgz`.
  const i = run('npm', ['install', '-D', '--no-audit', '--no-fund', '--prefer-offline', tgz], proj);
  assert.is(i.code, 0, i.stderr);
  assert.ok(fs.existsSync(path.join(proj, 'node_modules/policydrift/config.schema.json')));
  assert.ok(
    fs.existsSync(path.join(proj, 'node_modules/policydrift/dist/cli/index.js')),
    'dist/ is shipped, not built at install',
  );
  assert.match(
    JSON.parse(fs.readFileSync(path.join(proj, 'package.json'), 'utf8')).devDependencies.policydrift,
    /^file:/,
  );

  const v = run('npx', ['--no-install', 'policydrift', '--version'], proj);
  assert.is(v.code, 0, v.stderr);
  assert.is(v.stdout.trim(), pkg.version);

  const init = run('npx', ['--no-install', 'policydrift', 'init'], proj);
  assert.is(init.code, 0, init.stderr);
  assert.match(init.stdout, /created\s+policydrift\.config\.json/);
  assert.match(init.stdout, /created\s+invariants\.manifest\.json/);
  assert.match(init.stdout, /created\s+release\/registry\.json/);
  assert.match(init.stdout, /npm \(package-lock\.json\)/);
  // next steps point at the installed copies of the templates
  assert.match(init.stdout, /node_modules\/policydrift\/templates\/github\/policydrift\.yml/);
  // the "$schema" the config points at exists
  const cfg = JSON.parse(fs.readFileSync(path.join(proj, 'policydrift.config.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(proj, cfg.$schema)), cfg.$schema);

  const x = run('npx', ['--no-install', 'policydrift', 'extract', '--check'], proj);
  assert.is(x.code, 0, x.stderr);
  assert.match(x.stderr, /up to date \(version 1\)/);

  git(proj, 'add', '-A');
  git(proj, 'commit', '-qm', 'policydrift: init');
  const c = run('npx', ['--no-install', 'policydrift', 'check', '--against', 'HEAD'], proj);
  assert.is(c.code, 0, c.stdout + c.stderr);
  assert.match(c.stdout, /PASS/);

  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 90, `took ${seconds}s`);
});

test.run();
