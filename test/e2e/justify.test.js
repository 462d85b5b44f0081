// justify and approve as a new user meets them: justify refuses an uncommitted tree, check points at a change
// set that exists only in the working tree, a scaffold still holding its TODO text can be neither approved nor
// counted, and approving twice says it replaced the earlier approval.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE, REPO, writeChangeSet, spawnTimed } from '../helpers.js';

const OPENSPEC = path.join(REPO, 'node_modules', '.bin', 'openspec');

function commitAll(dir, msg) {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', msg);
}

/** The sample service with OpenSpec and alice as the only allowed signer on main, and a feature branch. */
function setup() {
  const dir = tmpdir('policydrift-justify-');
  copyTree(SAMPLE, dir);
  fs.rmSync(path.join(dir, 'openspec'), { recursive: true, force: true });
  const key = path.join(tmpdir('policydrift-keys-'), 'alice');
  assert.is(spawnTimed('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', key]).status, 0);
  fs.writeFileSync(
    path.join(dir, '.policydrift/allowed_signers'),
    `alice@example.com ${fs.readFileSync(`${key}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  const os = spawnTimed(OPENSPEC, ['init', '--tools', 'none', '--no-animation', '.'], {
    cwd: dir,
    env: { ...process.env, OPENSPEC_TELEMETRY: '0', OPENSPEC_NO_UPDATE_CHECK: '1' },
  });
  assert.is(os.status, 0, os.stderr);
  git(dir, 'init', '-q');
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'service');
  git(dir, 'checkout', '-qb', 'feature');
  return { dir, key };
}

function addWiretapVariant(dir) {
  fs.writeFileSync(
    path.join(dir, 'src/le/wiretap.ts'),
    "export interface WiretapContent {\n  kind: 'WIRETAP_CONTENT';\n  requestId: string;\n}\n",
  );
  const p = path.join(dir, 'src/le/types.ts');
  fs.writeFileSync(
    p,
    fs
      .readFileSync(p, 'utf8')
      .replace(
        'export type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected;',
        "import type { WiretapContent } from './wiretap.js';\nexport type LeResponse = SubscriberInfo | AccountMetadata | PreservationAck | NoRecords | Rejected | WiretapContent;",
      ),
  );
}

test('justify refuses uncommitted changes; check notes an uncommitted change set; TODO scaffolds are neither approved nor counted', () => {
  const { dir, key } = setup();
  const setDir = path.join(dir, 'openspec/changes/add-wiretap');

  // Nothing changed yet: no empty change set is created.
  let r = cli(['justify', 'add-wiretap', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^policydrift: nothing to justify: HEAD has no unjustified change since merge-base\(main, HEAD\) \(manifest v(\d+)→v\1\); no change set created\n$/,
  );
  assert.not.ok(fs.existsSync(setDir));

  // The weakening, not committed: justify would declare nothing, so it refuses.
  addWiretapVariant(dir);
  r = cli(['justify', 'add-wiretap', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^policydrift: error: the working tree has uncommitted changes that justify would not see: src\/le\/types\.ts, src\/le\/wiretap\.ts \(untracked\)\n {2}hint: justify declares the changes of the committed HEAD: commit them first/,
  );
  assert.not.ok(fs.existsSync(setDir), 'no change set declaring 0 changes');

  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  commitAll(dir, 'wiretap');
  r = cli(['justify', 'add-wiretap', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /created openspec\/changes\/add-wiretap declaring 1 change \(manifest v\d+→v\d+\)/);

  // The change set is only in the working tree: check (which reads HEAD) says so.
  r = cli(['check', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /policydrift: note: openspec\/changes\/add-wiretap exists only in the working tree \(untracked\); check reads the committed HEAD\n {2}hint: commit it/,
  );

  // Committed, but still the scaffold: not valid, located; approve refuses.
  commitAll(dir, 'justify');
  r = cli(['check', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.not.match(r.stderr, /note:/, 'committed: no note');
  assert.match(
    r.stdout,
    /a declaration names it, but change set add-wiretap is not valid \(scaffold placeholders \(TODO lines\) in its proposal or spec\) and not approved/,
  );
  assert.match(
    r.stdout,
    /openspec\/changes\/add-wiretap\/proposal\.md:5: scaffold placeholder still present: "TODO: why this privacy-relevant behaviour change is needed\."/,
  );
  assert.match(
    r.stdout,
    /openspec\/changes\/add-wiretap\/specs\/privacy-invariants\/spec\.md:8: scaffold placeholder still present: "The system SHALL change/,
  );

  r = cli(['approve', 'add-wiretap', '--key', key, '--as', 'alice@example.com'], { cwd: dir });
  assert.is(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^policydrift: error: openspec\/changes\/add-wiretap\/proposal\.md:5: scaffold placeholder still present: "TODO: why this privacy-relevant behaviour change is needed\." \(and 2 more\)\n/,
  );
  assert.match(
    r.stderr,
    /hint: write the proposal and the delta spec in your own words \(replace every TODO line: proposal\.md:5, specs\/privacy-invariants\/spec\.md:8, specs\/privacy-invariants\/spec\.md:9\), commit, then approve/,
  );
  assert.not.ok(fs.existsSync(path.join(setDir, 'approvals.yaml')));

  // Written by its author: approve, approve again (replaced, said so), check passes.
  writeChangeSet(dir, 'add-wiretap');
  r = cli(['approve', 'add-wiretap', '--key', key, '--as', 'alice@example.com'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^policydrift: approved add-wiretap as alice@example\.com \(digest sha256:[0-9a-f]{12}…\), signed\n/,
  );
  r = cli(['approve', 'add-wiretap', '--key', key, '--as', 'alice@example.com'], { cwd: dir });
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /, signed; it replaces your earlier approval of the same content \(approved \d{4}-\d\d-\d\dT[\d:.]+Z\)\n/,
  );
  assert.is((fs.readFileSync(path.join(setDir, 'approvals.yaml'), 'utf8').match(/identity:/g) ?? []).length, 1);
  commitAll(dir, 'write and approve');
  r = cli(['check', '--against', 'main'], { cwd: dir });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS — 1 change justified/);
});

test.run();
