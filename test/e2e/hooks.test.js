// The pre-commit hook end to end: `extract --write --staged` from a husky-style
// hook in a real git repository, partially staged files, and the cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { BIN, REPO, SAMPLE, copyTree, git, tmpdir, spawnTimed } from '../helpers.js';

const HOOK_CMD = 'npx --no-install policydrift extract --write --staged';
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function commit(dir, msg) {
  const r = spawnTimed('git', ['-c', 'commit.gpgsign=false', 'commit', '-m', msg], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...GIT_ENV },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A git repo of the sample service with the husky template installed as its pre-commit hook. */
function repoWithHook() {
  const dir = tmpdir('policydrift-hooks-');
  copyTree(SAMPLE, dir);
  fs.appendFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'initial');
  const template = fs.readFileSync(path.join(REPO, 'templates/hooks/husky-pre-commit'), 'utf8');
  assert.ok(template.includes(HOOK_CMD), 'the husky template runs the staged extract');
  // `node <repo>/bin/policydrift.js` instead of npx: the package is not installed here.
  const hook = template.replace('npx --no-install policydrift', `"${process.execPath}" "${BIN}"`);
  fs.mkdirSync(path.join(dir, '.husky'));
  fs.writeFileSync(path.join(dir, '.husky/pre-commit'), hook, { mode: 0o755 });
  git(dir, 'add', '.husky');
  git(dir, 'commit', '-qm', 'husky hook');
  git(dir, 'config', 'core.hooksPath', '.husky');
  return dir;
}

const show = (dir, spec) => git(dir, 'show', spec);

test('the hook templates call the staged extract', () => {
  const lefthook = YAML.parse(fs.readFileSync(path.join(REPO, 'templates/hooks/lefthook.yml'), 'utf8'));
  assert.is(lefthook['pre-commit'].commands.policydrift.run, HOOK_CMD);
  const preCommit = YAML.parse(fs.readFileSync(path.join(REPO, '.pre-commit-hooks.yaml'), 'utf8'));
  assert.is(preCommit[0].id, 'policydrift-extract');
  assert.is(preCommit[0].entry, HOOK_CMD);
  assert.is(preCommit[0].pass_filenames, false);
  assert.match(fs.readFileSync(path.join(REPO, 'templates/hooks/husky-pre-commit'), 'utf8'), HOOK_CMD);
});

test('a commit gets the manifest of the STAGED content; the unstaged edit stays out; a no-change commit hits the cache', () => {
  const dir = repoWithHook();
  const src = path.join(dir, 'src/index.ts');
  fs.appendFileSync(src, '\n/** @invariant hook.staged A staged promise. */\nexport const staged = 1;\n');
  git(dir, 'add', 'src/index.ts');
  // a further edit of the same file, not staged: partially staged file
  fs.appendFileSync(src, '\n/** @invariant hook.unstaged Not staged. */\nexport const unstaged = 2;\n');
  assert.is(git(dir, 'status', '--porcelain', '--', 'src/index.ts'), 'MM src/index.ts');

  const before = JSON.parse(show(dir, 'HEAD:invariants.manifest.json'));
  let r = commit(dir, 'add a staged invariant');
  assert.is(r.code, 0, r.out);
  assert.match(
    r.out,
    new RegExp(`invariants\\.manifest\\.json updated to version ${before.manifestVersion + 1} and staged`),
  );
  const committed = JSON.parse(show(dir, 'HEAD:invariants.manifest.json'));
  const ids = Object.keys(committed.invariants.privacy.invariants);
  assert.ok(ids.includes('hook.staged'), ids.join(','));
  assert.not.ok(ids.includes('hook.unstaged'), ids.join(','));
  assert.is(committed.manifestVersion, before.manifestVersion + 1);
  // the manifest was part of the commit, and the working tree copy is the committed one
  assert.equal(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort(), [
    'invariants.manifest.json',
    'src/index.ts',
  ]);
  assert.is(
    fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'),
    show(dir, 'HEAD:invariants.manifest.json') + '\n',
  );
  // the unstaged edit is still only in the working tree
  assert.is(git(dir, 'status', '--porcelain'), 'M src/index.ts');
  assert.not.match(show(dir, 'HEAD:src/index.ts'), /hook\.unstaged/);
  // the cache was written
  assert.equal(
    fs.readdirSync(path.join(dir, 'node_modules/.cache/policydrift')).filter((f) => f.startsWith('extract-staged-'))
      .length,
    1,
  );

  // a commit without relevant change: the cache answers
  fs.writeFileSync(path.join(dir, 'NOTES.md'), 'notes\n');
  git(dir, 'add', 'NOTES.md');
  r = commit(dir, 'docs only');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /invariants\.manifest\.json unchanged \(version \d+; cached: no relevant staged change\)/);
  assert.equal(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n'), ['NOTES.md']);

  // staging the rest invalidates the cache and the manifest follows
  git(dir, 'add', 'src/index.ts');
  r = commit(dir, 'the rest');
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /cached/);
  assert.ok(JSON.parse(show(dir, 'HEAD:invariants.manifest.json')).invariants.privacy.invariants['hook.unstaged']);
  // and what the hook committed is what `extract --check` of a checkout computes
  const check = spawnTimed(process.execPath, [BIN, 'extract', '--check'], { cwd: dir, encoding: 'utf8' });
  assert.is(check.status, 0, check.stderr);
});

test('the cache is safe to delete, and a hand-edited staged manifest is regenerated', () => {
  const dir = repoWithHook();
  fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'NOTES.md'), 'x\n');
  git(dir, 'add', 'NOTES.md');
  let r = commit(dir, 'no cache yet');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /invariants\.manifest\.json unchanged \(version \d+\)/);
  assert.not.match(r.out, /cached/);

  // a cache entry that no longer matches the index (the staged manifest changed behind its back) is a miss
  const manifest = path.join(dir, 'invariants.manifest.json');
  const good = fs.readFileSync(manifest, 'utf8');
  const relocated = JSON.parse(good);
  relocated.locations[Object.keys(relocated.locations)[0]] = 'src/elsewhere.ts';
  fs.writeFileSync(manifest, JSON.stringify(relocated, null, 2) + '\n');
  git(dir, 'add', 'invariants.manifest.json');
  fs.writeFileSync(path.join(dir, 'NOTES.md'), 'y\n');
  git(dir, 'add', 'NOTES.md');
  r = commit(dir, 'tampered manifest');
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /cached/);
  assert.is(show(dir, 'HEAD:invariants.manifest.json') + '\n', good);
});

test('extract --staged --check, and --staged in a subdirectory project of a repository', () => {
  const top = tmpdir('policydrift-hooks-mono-');
  const dir = path.join(top, 'packages', 'svc');
  fs.mkdirSync(dir, { recursive: true });
  copyTree(SAMPLE, dir);
  fs.writeFileSync(path.join(top, '.gitignore'), 'node_modules/\n');
  git(top, 'init', '-q');
  git(top, 'add', '-A');
  git(top, 'commit', '-qm', 'initial');
  const run = (args, cwd) => spawnTimed(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  let r = run(['extract', '--check', '--staged', '--root', 'packages/svc'], top);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /\(staged\) packages\/svc\/invariants\.manifest\.json is up to date/);
  fs.appendFileSync(path.join(dir, 'src/index.ts'), '\n/** @invariant mono.one A promise. */\nexport const m = 1;\n');
  // not staged yet: the staged content is still up to date
  r = run(['extract', '--check', '--staged', '--root', 'packages/svc', '--no-cache'], top);
  assert.is(r.status, 0, r.stderr);
  git(top, 'add', '-A');
  r = run(['extract', '--check', '--staged'], dir);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /is stale; entries that differ:\n  - location:privacy:mono\.one\n  - privacy:mono\.one\n/);
  r = run(['extract', '--write', '--staged'], dir);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /invariants\.manifest\.json updated to version \d+ and staged/);
  assert.match(git(top, 'diff', '--cached', '--name-only'), /packages\/svc\/invariants\.manifest\.json/);
  assert.match(git(top, 'show', ':packages/svc/invariants.manifest.json'), /mono\.one/);
  // identical to what a working-tree extraction gives
  assert.is(fs.readFileSync(path.join(dir, 'invariants.manifest.json'), 'utf8'), run(['extract'], dir).stdout);
});

test('a cache hit never loads ts-morph (the whole CLI, as the hook runs it)', () => {
  const dir = repoWithHook();
  const script = `
    import { createRequire } from 'node:module';
    import { main } from ${JSON.stringify(path.join(REPO, 'dist/cli/index.js'))};
    const require = createRequire(import.meta.url);
    const code = await main(['node', 'policydrift', 'extract', '--write', '--staged']);
    const loaded = Object.keys(require('module')._cache).some((k) => k.includes('ts-morph'));
    process.stdout.write(JSON.stringify({ code, loaded }));
  `;
  const run = () => {
    const r = spawnTimed(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return { ...JSON.parse(r.stdout), stderr: r.stderr };
  };
  const first = run();
  assert.equal([first.code, first.loaded], [0, true]);
  assert.not.match(first.stderr, /cached/);
  const second = run();
  assert.equal([second.code, second.loaded], [0, false]);
  assert.match(second.stderr, /cached: no relevant staged change/);
});

test.run();
