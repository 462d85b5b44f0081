// Issue scenarios for `policydrift diff` on the sample service, through bin/policydrift.js.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE } from '../helpers.js';

function mutated(edit) {
  const dir = tmpdir();
  copyTree(SAMPLE, dir);
  edit(dir);
  const out = path.join(dir, 'after.json');
  const r = cli(['extract', '--root', dir, '--out', out]);
  assert.is(r.code, 0, r.stderr);
  return out;
}

const TYPES = 'src/le/types.ts';
const UNION = 'export type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected;';

function base() {
  const out = path.join(tmpdir(), 'base.json');
  assert.is(cli(['extract', '--root', SAMPLE, '--out', out]).code, 0);
  return out;
}

test('a response variant added in another file is a LE_RESPONSE_ADDED weakening (exit 1)', () => {
  const after = mutated((dir) => {
    fs.writeFileSync(
      path.join(dir, 'src/le/extra.ts'),
      "export interface LocationHistory {\n  kind: 'LOCATION_HISTORY';\n  requestId: string;\n  producedAt: string;\n  cells: string[];\n}\n",
    );
    const p = path.join(dir, TYPES);
    fs.writeFileSync(
      p,
      fs
        .readFileSync(p, 'utf8')
        .replace(
          UNION,
          "import type { LocationHistory } from './extra.js';\nexport type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected | LocationHistory;",
        ),
    );
  });
  const r = cli(['diff', base(), after, '--format', 'json']);
  assert.is(r.code, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  const added = j.changes.filter((c) => c.rule === 'LE_RESPONSE_ADDED');
  assert.is(added.length, 1);
  assert.is(added[0].effect, 'weakening');
  assert.is(added[0].id, 'handle_le_request');
  assert.is(added[0].subject, 'LOCATION_HISTORY');
  assert.ok(added[0].locations.includes('src/le/extra.ts'));
  assert.is(j.summary.weakening, 1);
});

test('reordering the union (and renaming the alias) gives exit 0 and no non-neutral change', () => {
  const after = mutated((dir) => {
    const p = path.join(dir, TYPES);
    let s = fs
      .readFileSync(p, 'utf8')
      .replace(
        UNION,
        'export type LeAnswer = Rejected | NoRecords | PreservationAck | AccountMetadata | SubscriberInfo;\nexport type LeResponse = LeAnswer;',
      );
    fs.writeFileSync(p, '// reordered\n\n' + s);
  });
  const r = cli(['diff', base(), after, '--format', 'json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(
    j.changes.filter((c) => c.effect !== 'neutral'),
    [],
  );
});

test('moving the gated service to another file is neutral; dropping a guard is a weakening', () => {
  const moved = mutated((dir) => {
    fs.renameSync(path.join(dir, 'src/keys/service.ts'), path.join(dir, 'src/keys/custody.ts'));
    fs.writeFileSync(
      path.join(dir, 'src/index.ts'),
      fs.readFileSync(path.join(dir, 'src/index.ts'), 'utf8').replace('./keys/service.js', './keys/custody.js'),
    );
  });
  let r = cli(['diff', base(), moved, '--format', 'json']);
  assert.is(r.code, 0, r.stdout);
  const j = JSON.parse(r.stdout);
  assert.ok(j.changes.length > 0);
  assert.ok(j.changes.every((c) => c.effect === 'neutral'));

  const weakened = mutated((dir) => {
    const p = path.join(dir, 'src/keys/service.ts');
    fs.writeFileSync(
      p,
      fs
        .readFileSync(p, 'utf8')
        .replace(
          '    requireQuorum(approvals, MIN_CUSTODIANS);\n',
          '    if (approvals.length > 5) requireQuorum(approvals, MIN_CUSTODIANS);\n',
        ),
    );
  });
  r = cli(['diff', base(), weakened, '--format', 'json']);
  assert.is(r.code, 1);
  const w = JSON.parse(r.stdout).changes.filter((c) => c.effect === 'weakening');
  assert.equal(
    w.map((c) => [c.rule, c.id, c.subject]),
    [['KEYGATE_GUARD_REMOVED', 'EscrowService.recover -> exportEscrowKey', 'requireQuorum']],
  );
});

test('git: operands equal the diff of manifests extracted from checkouts; the working tree is untouched', () => {
  const dir = tmpdir('policydrift-gitdiff-');
  copyTree(SAMPLE, dir);
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'one');
  git(dir, 'tag', 'release-1');
  // commit two: a weaker guard argument
  const svc = path.join(dir, 'src/keys/service.ts');
  fs.writeFileSync(
    svc,
    fs
      .readFileSync(svc, 'utf8')
      .replace(
        "await assertAttested('TEE_PROD');\n  audit({ type: 'key_op', op: 'rotate'",
        "await assertAttested('TEE');\n  audit({ type: 'key_op', op: 'rotate'",
      ),
  );
  git(dir, 'commit', '-qam', 'two');
  git(dir, 'tag', 'release-2');
  // commit three: a new log field
  const schemas = path.join(dir, 'src/logging/schemas.ts');
  fs.writeFileSync(
    schemas,
    fs
      .readFileSync(schemas, 'utf8')
      .replace(
        '  /** @classification public */\n  durationMs: number;',
        '  /** @classification public */\n  durationMs: number;\n  /** @classification personal */\n  userAgent: string;',
      ),
  );
  git(dir, 'commit', '-qam', 'three');
  // leave a dirty working tree and index to prove they are untouched
  fs.appendFileSync(path.join(dir, 'src/index.ts'), '\n// uncommitted\n');
  fs.writeFileSync(path.join(dir, 'staged.txt'), 'x');
  git(dir, 'add', 'staged.txt');
  const statusBefore = git(dir, 'status', '--porcelain');

  const viaGit = cli(['diff', 'git:release-1', 'git:HEAD', '--format', 'json'], { cwd: dir });
  assert.is(viaGit.code, 1, viaGit.stderr);

  // the same commits extracted from real checkouts
  const co = (rev) => {
    const wt = tmpdir('policydrift-co-');
    fs.rmSync(wt, { recursive: true });
    git(dir, 'worktree', 'add', '-q', '--detach', wt, rev);
    const out = path.join(tmpdir(), `${rev}.json`);
    assert.is(cli(['extract', '--root', wt, '--out', out]).code, 0);
    git(dir, 'worktree', 'remove', '--force', wt);
    return out;
  };
  const a = co('release-1');
  const b = co('HEAD');
  const viaFiles = cli(['diff', a, b, '--format', 'json'], { cwd: dir });
  assert.is(viaFiles.stdout, viaGit.stdout);
  const rules = JSON.parse(viaGit.stdout)
    .changes.map((c) => c.rule)
    .sort();
  assert.ok(rules.includes('KEYGATE_GUARD_ARG_WEAKENED'), rules.join(','));
  assert.ok(rules.includes('LOG_FIELD_ADDED'), rules.join(','));
  // extract --ref is byte-identical to extracting the checkout
  assert.is(cli(['extract', '--ref', 'release-1'], { cwd: dir }).stdout, fs.readFileSync(a, 'utf8'));
  assert.is(git(dir, 'status', '--porcelain'), statusBefore);
});

test.run();
