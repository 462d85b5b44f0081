// Git-aware extraction: reading a commit from the object database must give
// exactly what `policydrift extract` prints in a fresh checkout of that commit,
// and must never touch the user's working tree or index.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { cli, tmpdir, copyTree, git, lazy, spawnTimed, SAMPLE } from './helpers.js';
import { extractAtRef, readFileAtRef } from '../dist/extract/from-tree.js';
import { readGitTree } from '../dist/git/tree.js';
import { GitTreeFileSystemHost } from '../dist/git/fs-host.js';
import { assertSafeRev, resolveCommit, mergeBase, repoRoot, isAncestor } from '../dist/git/run.js';
import { canonicalJson } from '../dist/manifest/index.js';
import { JSDOC_NEEDLES } from '../dist/extract/index.js';
import { openProject } from '../dist/extract/analysis/program.js';
import { defaultConfig } from '../dist/config/index.js';
import { UserError } from '../dist/errors.js';

const write = (file, text) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

const TSCONFIG = JSON.stringify(
  {
    compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext' },
    include: ['src/**/*.ts'],
  },
  null,
  2,
);

/** A repo with two projects (tiny/ and services/sample/), an untracked node_modules type package, three commits. */
function makeRepo() {
  const repo = fs.realpathSync(tmpdir('policydrift-git-'));
  git(repo, 'init', '-q');
  write(path.join(repo, '.gitignore'), 'node_modules/\n');
  // A type package that exists only in the working tree (as after `npm ci`).
  write(
    path.join(repo, 'node_modules/extlib/package.json'),
    JSON.stringify({ name: 'extlib', version: '1.0.0', types: 'index.d.ts' }),
  );
  write(path.join(repo, 'node_modules/extlib/index.d.ts'), 'export interface Ext { secret: string; n: number }\n');
  write(path.join(repo, 'tiny/tsconfig.json'), TSCONFIG);
  write(path.join(repo, 'tiny/src/a.ts'), '/** @invariant a.b the first statement */\nexport const a = 1;\n');
  write(
    path.join(repo, 'tiny/src/uses-ext.ts'),
    "import type { Ext } from 'extlib';\nexport function f(e: Ext): number { return e.n; }\n",
  );
  copyTree(SAMPLE, path.join(repo, 'services/sample'));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'one');
  const c1 = git(repo, 'rev-parse', 'HEAD');

  write(path.join(repo, 'tiny/src/a.ts'), '/** @invariant a.b the first statement, reworded */\nexport const a = 1;\n');
  write(
    path.join(repo, 'tiny/src/nested/deep/c.ts'),
    '/**\n * @invariant c.d nested files are found by the include glob\n */\nexport function c() {}\n',
  );
  write(path.join(repo, 'docs/readme.md'), 'no project here\n');
  // A committed manifest: the next commit's extraction bumps its version, in a checkout and at a ref alike.
  const w = cli(['extract', '--root', path.join(repo, 'tiny'), '--write']);
  assert.is(w.code, 0, w.stderr);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'two');
  const c2 = git(repo, 'rev-parse', 'HEAD');

  fs.rmSync(path.join(repo, 'tiny/src/a.ts'));
  write(
    path.join(repo, 'tiny/src/renamed.ts'),
    '/** @invariant a.b the first statement, moved */\nexport const a = 2;\n',
  );
  write(path.join(repo, 'tiny/policydrift.config.json'), JSON.stringify({ exclude: ['src/nested/**'] }));
  // A tsconfig that extends a file outside the project directory (read on demand from the commit).
  write(
    path.join(repo, 'tsconfig.base.json'),
    JSON.stringify({
      compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext' },
    }),
  );
  write(
    path.join(repo, 'tiny/tsconfig.json'),
    JSON.stringify({ extends: '../tsconfig.base.json', include: ['src/**/*.ts'] }),
  );
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'three');
  const c3 = git(repo, 'rev-parse', 'HEAD');
  return { repo, commits: [c1, c2, c3] };
}

/** Unpack a commit into a fresh directory (a checkout that shares nothing with the repo) plus node_modules. */
function checkoutCopy(repo, sha) {
  const dir = fs.realpathSync(tmpdir('policydrift-checkout-'));
  const tar = path.join(dir, '..', `${path.basename(dir)}.tar`);
  git(repo, 'archive', '--format=tar', '-o', tar, sha);
  const r = spawnTimed('tar', ['-xf', tar, '-C', dir]);
  assert.is(r.status, 0, String(r.stderr));
  fs.rmSync(tar);
  fs.cpSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), { recursive: true });
  return dir;
}

function fingerprint(repo) {
  const index = crypto
    .createHash('sha256')
    .update(fs.readFileSync(path.join(repo, '.git/index')))
    .digest('hex');
  return {
    status: git(repo, 'status', '--porcelain', '--untracked-files=all'),
    index,
    head: git(repo, 'rev-parse', 'HEAD'),
  };
}

function throwsUser(fn, re, hintRe) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, UserError, `expected a UserError, got ${e?.stack ?? e}`);
    assert.match(e.message, re);
    if (hintRe) assert.match(e.hint ?? '', hintRe);
    assert.is(e.exitCode, 2);
    return e;
  }
  assert.unreachable(`expected a UserError matching ${re}`);
}

// Built by the first test that needs it (not at module load): a failure there fails those tests, not the run.
const fixture = lazy(makeRepo);

test('extractAtRef equals `policydrift extract` in a checkout of the same commit, for three commits and two projects', () => {
  const { repo, commits } = fixture();
  const outputs = [];
  for (const sha of commits) {
    const copy = checkoutCopy(repo, sha);
    for (const root of ['tiny', 'services/sample']) {
      const r = cli(['extract', '--root', path.join(copy, root)]);
      assert.is(r.code, 0, `${sha} ${root}: ${r.stderr}`);
      const atRef = extractAtRef({ repoDir: repo, rev: sha, root });
      assert.is(atRef.commit, sha);
      assert.is(canonicalJson(atRef.manifest), r.stdout, `${sha} ${root}`);
      outputs.push(r.stdout);
    }
  }
  assert.is(new Set(outputs).size, outputs.length - 2, 'tiny differs at every commit; services/sample never changes');
  const [t1, , t2, , t3] = outputs.map((o) => JSON.parse(o));
  assert.equal(
    [t1.manifestVersion, t2.manifestVersion, t3.manifestVersion],
    [1, 1, 2],
    'the version bump follows the manifest committed at each commit',
  );
});

test('extractAtRef reads the commit, not the working tree; the working tree and index are untouched', () => {
  const { repo, commits } = fixture();
  // Uncommitted edits that must not leak into the extraction of HEAD.
  write(path.join(repo, 'tiny/src/renamed.ts'), '/** @invariant a.b DIRTY WORKING TREE */\nexport const a = 3;\n');
  write(path.join(repo, 'tiny/src/untracked.ts'), '/** @invariant x.untracked not committed */\nexport const u = 1;\n');
  const before = fingerprint(repo);
  const head = extractAtRef({ repoDir: path.join(repo, 'tiny'), rev: 'HEAD' });
  const one = extractAtRef({ repoDir: repo, rev: commits[0], root: 'tiny' });
  const two = extractAtRef({ repoDir: repo, rev: `${commits[2]}~1`, root: 'tiny' });
  const after = fingerprint(repo);
  assert.equal(after, before);
  assert.is(head.root, 'tiny', 'the default root is the position of repoDir in the repository');
  assert.equal(
    head.manifest.invariants.privacy.invariants,
    { 'a.b': { statement: 'the first statement, moved' } },
    'HEAD excludes src/nested via its own config',
  );
  assert.is(head.manifest.locations['privacy:a.b'], 'src/renamed.ts');
  assert.is(head.configText, '{"exclude":["src/nested/**"]}');
  assert.is(one.configText, null);
  assert.equal(one.manifest.invariants.privacy.invariants, { 'a.b': { statement: 'the first statement' } });
  assert.equal(Object.keys(two.manifest.invariants.privacy.invariants), ['a.b', 'c.d']);
  assert.is(two.manifest.locations['privacy:c.d'], 'src/nested/deep/c.ts');
  git(repo, 'checkout', '-q', '--', 'tiny/src/renamed.ts');
  fs.rmSync(path.join(repo, 'tiny/src/untracked.ts'));
});

test('code committed under a node_modules folder is read from the commit, never from the working tree', () => {
  const dir = fs.realpathSync(tmpdir('policydrift-git-nm-'));
  git(dir, 'init', '-q');
  write(path.join(dir, 'tsconfig.json'), TSCONFIG);
  write(
    path.join(dir, 'src/store.ts'),
    '/** @keySink */\nexport function unwrapKey(id: string): string {\n  return id;\n}\n',
  );
  write(
    path.join(dir, 'src/node_modules/backdoor.ts'),
    "import { unwrapKey } from '../store.js';\nexport function backdoor(id: string) {\n  return unwrapKey(id);\n}\n",
  );
  write(
    path.join(dir, 'src/use.ts'),
    "import { backdoor } from './node_modules/backdoor.js';\nexport const b = backdoor;\n",
  );
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'committed node_modules');
  // The working tree disagrees with the commit: an edited and an untracked file in that folder.
  write(path.join(dir, 'src/node_modules/backdoor.ts'), 'export function backdoor(id: string) {\n  return id;\n}\n');
  write(path.join(dir, 'src/node_modules/untracked.ts'), 'export const u = 1;\n');
  const atRef = extractAtRef({ repoDir: dir, rev: 'HEAD' });
  assert.equal(Object.keys(atRef.manifest.invariants.keygate.sites), ['backdoor -> unwrapKey']);
  assert.is(atRef.manifest.locations['keygate:site:backdoor -> unwrapKey'], 'src/node_modules/backdoor.ts');
  const host = new GitTreeFileSystemHost(readGitTree(dir, 'HEAD'), { cwd: dir });
  assert.match(host.readFileSync(path.join(dir, 'src/node_modules/backdoor.ts')), /unwrapKey/);
  assert.not.ok(host.fileExistsSync(path.join(dir, 'src/node_modules/untracked.ts')));
  assert.equal(
    host.readDirSync(path.join(dir, 'src')).map((e) => [path.basename(e.name), e.isDirectory]),
    [
      ['node_modules', true],
      ['store.ts', false],
      ['use.ts', false],
    ],
  );
  // The same as extracting a checkout of the commit.
  git(dir, 'checkout', '-q', '--', '.');
  fs.rmSync(path.join(dir, 'src/node_modules/untracked.ts'));
  const r = cli(['extract', '--root', dir]);
  assert.is(r.code, 0, r.stderr);
  assert.is(canonicalJson(atRef.manifest), r.stdout);
});

test('type packages resolve from the working tree node_modules, read-only', () => {
  const { repo } = fixture();
  const tree = readGitTree(repo, 'HEAD', { subdir: 'tiny' });
  assert.ok(tree.files.has('tiny/src/renamed.ts'));
  assert.not.ok(tree.files.has('services/sample/src/index.ts'), 'only the subdir is read up front');
  assert.ok(tree.readFile('services/sample/src/index.ts').length > 0, 'other files are read on demand');
  assert.is(tree.readFile('nope.ts'), null);
  /** @type {import('ts-morph').FileSystemHost} */ // used as ts-morph does: writeFileSync(path, text)
  const host = new GitTreeFileSystemHost(tree, { cwd: path.join(repo, 'tiny') });
  const ctx = openProject({
    root: path.join(repo, 'tiny'),
    config: defaultConfig(),
    fileSystem: host,
    jsDocNeedles: JSDOC_NEEDLES,
  });
  assert.is(
    ctx.project.getCompilerOptions().strict,
    true,
    'options inherited from ../tsconfig.base.json at the commit',
  );
  const sf = ctx.project.getSourceFileOrThrow(path.join(repo, 'tiny/src/uses-ext.ts'));
  const param = sf.getFunctionOrThrow('f').getParameters()[0];
  assert.is(ctx.checker.getTypeAtLocation(param).getText(param), 'Ext');
  assert.equal(
    param
      .getType()
      .getProperties()
      .map((p) => p.getName())
      .sort(),
    ['n', 'secret'],
    'the interface came from node_modules/extlib/index.d.ts',
  );
  assert.ok(host.fileExistsSync(path.join(repo, 'node_modules/extlib/index.d.ts')));
  assert.throws(() => host.writeFileSync(path.join(repo, 'tiny/src/x.ts'), 'x'), /read-only/);
  assert.throws(() => host.writeFileSync(path.join(repo, 'node_modules/extlib/x.d.ts'), 'x'), /read-only/);
  assert.throws(() => host.deleteSync(path.join(repo, 'tiny/src/renamed.ts')), /read-only/);
  assert.not.ok(fs.existsSync(path.join(repo, 'node_modules/extlib/x.d.ts')));
  // Globbing runs over the commit's files (relative to the cwd), with negation.
  assert.equal(host.globSync(['src/**/*.ts', '!src/uses-ext.ts']), [
    path.join(repo, 'tiny/src/nested/deep/c.ts'),
    path.join(repo, 'tiny/src/renamed.ts'),
  ]);
  assert.is(
    host.readFileSync(path.join(repo, 'tiny/src/renamed.ts')),
    '/** @invariant a.b the first statement, moved */\nexport const a = 2;\n',
  );
  assert.not.ok(host.fileExistsSync(path.join(repo, 'tiny/src/a.ts')), 'deleted at HEAD');
  assert.ok(host.directoryExistsSync(path.dirname(repo)), 'ancestors of the repository exist');
  assert.equal(
    host.readDirSync(path.join(repo, 'tiny')).map((e) => [path.basename(e.name), e.isDirectory]),
    [
      ['invariants.manifest.json', false],
      ['policydrift.config.json', false],
      ['src', true],
      ['tsconfig.json', false],
    ],
  );
});

test('revisions that git could read as options or ranges are rejected before git runs', () => {
  const { repo } = fixture();
  const marker = path.join(repo, 'x');
  throwsUser(() => extractAtRef({ repoDir: repo, rev: '--output=x', root: 'tiny' }), /must not start with "-"/);
  throwsUser(() => resolveCommit(repo, '--output=x'), /must not start with "-"/);
  throwsUser(() => mergeBase(repo, 'HEAD', '-p'), /must not start with "-"/);
  throwsUser(() => assertSafeRev('main..HEAD'), /no "\.\."/);
  throwsUser(() => assertSafeRev('HEAD;rm -rf x'), /unsafe git revision/);
  throwsUser(() => assertSafeRev('$(id)'), /unsafe git revision/);
  throwsUser(() => assertSafeRev(''), /empty git revision/);
  assertSafeRev('HEAD~2');
  assertSafeRev('origin/main');
  assertSafeRev('v1.2.3+build');
  assertSafeRev('HEAD@{1}');
  assert.not.ok(fs.existsSync(marker));
});

test('unknown revision, not a repository, no tsconfig at the revision', () => {
  const { repo, commits } = fixture();
  throwsUser(() => resolveCommit(repo, 'no-such-branch'), /^unknown revision no-such-branch$/);
  throwsUser(() => extractAtRef({ repoDir: repo, rev: 'deadbeef', root: 'tiny' }), /unknown revision deadbeef/);
  const plain = tmpdir('policydrift-norepo-');
  throwsUser(() => repoRoot(plain), /not a git repository/);
  throwsUser(() => resolveCommit(plain, 'HEAD'), /not a git repository/);
  throwsUser(() => extractAtRef({ repoDir: plain, rev: 'HEAD' }), /not a git repository/);
  throwsUser(
    () => extractAtRef({ repoDir: repo, rev: 'HEAD', root: 'docs' }),
    /^no tsconfig\.json at HEAD:docs\/tsconfig\.json$/,
  );
  throwsUser(
    () => extractAtRef({ repoDir: repo, rev: commits[0], root: 'tiny', configPath: 'custom.json' }),
    /^no tiny\/custom\.json at /,
  );
  assert.is(repoRoot(path.join(repo, 'tiny/src')), repo);
});

test('mergeBase, isAncestor and readFileAtRef', () => {
  const { repo, commits } = fixture();
  git(repo, 'branch', '-f', 'side', commits[1]);
  assert.is(mergeBase(repo, 'side', 'HEAD'), commits[1]);
  assert.ok(isAncestor(repo, commits[0], 'HEAD'));
  assert.not.ok(isAncestor(repo, 'HEAD', commits[0]));
  assert.is(
    readFileAtRef(repo, commits[0], 'tiny/src/a.ts'),
    '/** @invariant a.b the first statement */\nexport const a = 1;\n',
  );
  assert.is(readFileAtRef(repo, 'HEAD', 'tiny/src/a.ts'), null);
  assert.is(readFileAtRef(repo, 'HEAD', 'tiny'), null, 'a directory is not a file');
  assert.is(readFileAtRef(repo, 'HEAD', './tiny/policydrift.config.json'), '{"exclude":["src/nested/**"]}');
  throwsUser(() => readFileAtRef(repo, 'HEAD', '../outside'), /inside the repository/);
});

test('a shallow clone without the base commit fails with the fetch-depth remedy', () => {
  const { repo, commits } = fixture();
  const shallow = fs.realpathSync(tmpdir('policydrift-shallow-'));
  fs.rmSync(shallow, { recursive: true });
  git(path.dirname(shallow), 'clone', '-q', '--depth', '1', `file://${repo}`, shallow);
  const e = throwsUser(
    () => resolveCommit(shallow, commits[0]),
    new RegExp(`unknown revision ${commits[0]}: it is not present in this shallow clone`),
    /fetch-depth: 0/,
  );
  assert.match(e.hint, /git fetch --unshallow/);
  throwsUser(
    () => extractAtRef({ repoDir: shallow, rev: commits[0], root: 'tiny' }),
    /shallow clone/,
    /fetch-depth: 0/,
  );
  // HEAD itself is present and extracts fine.
  assert.is(extractAtRef({ repoDir: shallow, rev: 'HEAD', root: 'tiny' }).commit, commits[2]);
});

test.run();
