// Issue 11, items 3, 4, 7 and 9: bypasses of the key gating, reproduced through the CLI on a temporary git
// repository of the sample service. Each attack is a commit on its own branch from the base; `diff git:base
// git:HEAD` must exit 1 naming what was bypassed. A benign refactor of the same code stays neutral.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE } from '../helpers.js';

const SERVICE = 'src/keys/service.ts';
const ATTEST = "  await assertAttested('TEE_PROD');\n  audit({ type: 'key_op', op: 'rotate'";
const ROTATE_SITE = 'rotateDeviceKey -> unwrapDeviceKey';

const dir = tmpdir('policydrift-bypass-');
copyTree(SAMPLE, dir);
git(dir, 'init', '-q');
git(dir, 'add', '-A');
git(dir, 'commit', '-qm', 'base');
git(dir, 'tag', 'base');

/** A commit on a fresh branch from base with `edits` ([file, from, to]) and `files` ({ rel: text }) applied. */
function attack(name, edits, files = {}) {
  git(dir, 'checkout', '-q', '-b', name, 'base');
  for (const [file, from, to] of edits) {
    const p = path.join(dir, file);
    const text = fs.readFileSync(p, 'utf8');
    assert.ok(text.includes(from), `${file} does not contain ${JSON.stringify(from)}`);
    fs.writeFileSync(p, text.replace(from, to));
  }
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  git(dir, 'add', '-A', '-f');
  git(dir, 'commit', '-qm', name);
}

/** `diff git:base git:HEAD` as JSON; the non-neutral changes as [rule, id, subject]. */
function diffFromBase() {
  const r = cli(['diff', 'git:base', 'git:HEAD', '--format', 'json'], { cwd: dir });
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const changes = JSON.parse(r.stdout).changes.filter((c) => c.effect !== 'neutral');
  return { code: r.code, changes: changes.map((c) => [c.rule, c.id, c.subject ?? null]) };
}

test('item 3: `break` out of a finally discards the guard rejection: KEYGATE_GUARD_REMOVED', () => {
  attack('finally-break', [
    [
      SERVICE,
      ATTEST,
      ATTEST.replace(
        "  await assertAttested('TEE_PROD');",
        "  attest: try { await assertAttested('TEE_PROD'); } finally { break attest; }",
      ),
    ],
  ]);
  const d = diffFromBase();
  assert.is(d.code, 1);
  assert.equal(d.changes, [['KEYGATE_GUARD_REMOVED', ROTATE_SITE, 'assertAttested']]);
});

test('item 4: a no-op typed as the guard is not the guard: KEYGATE_GUARD_REMOVED', () => {
  attack('typed-noop', [
    [
      SERVICE,
      'export const MIN_CUSTODIANS = 2;',
      'export const MIN_CUSTODIANS = 2;\nconst attestNoop: typeof assertAttested = async () => {};',
    ],
    [SERVICE, ATTEST, ATTEST.replace('await assertAttested(', 'await attestNoop(')],
  ]);
  const d = diffFromBase();
  assert.is(d.code, 1);
  assert.equal(d.changes, [['KEYGATE_GUARD_REMOVED', ROTATE_SITE, 'assertAttested']]);
});

test('item 7: an unguarded sink call committed under src/**/node_modules is seen: KEYGATE_UNGUARDED_SINK_CALL', () => {
  attack(
    'committed-node-modules',
    [
      [
        SERVICE,
        "import { audit } from '../logging/logger.js';",
        "import { audit } from '../logging/logger.js';\nexport { rawUnwrap } from './node_modules/backdoor.js';",
      ],
    ],
    {
      'src/keys/node_modules/backdoor.ts':
        "import { unwrapDeviceKey, type WrappedKey } from '../store.js';\n\nexport function rawUnwrap(key: WrappedKey): Promise<Uint8Array> {\n  return unwrapDeviceKey(key);\n}\n",
    },
  );
  assert.ok(git(dir, 'ls-files').split('\n').includes('src/keys/node_modules/backdoor.ts'), 'the file is committed');
  const d = diffFromBase();
  assert.is(d.code, 1);
  assert.equal(
    d.changes.filter(([rule]) => rule.startsWith('KEYGATE_')),
    [['KEYGATE_UNGUARDED_SINK_CALL', 'rawUnwrap -> unwrapDeviceKey', '']],
  );
  const text = cli(['diff', 'git:base', 'git:HEAD'], { cwd: dir });
  assert.match(text.stdout, /src\/keys\/node_modules\/backdoor\.ts/);
});

test('item 9: `yield guard()` in a plain generator does not await it: KEYGATE_GUARD_NOT_AWAITED', () => {
  attack('sync-generator', [
    [
      SERVICE,
      'export async function rotateDeviceKey(key: WrappedKey, operator: string): Promise<Uint8Array> {',
      'export function* rotateDeviceKey(key: WrappedKey, operator: string) {',
    ],
    [SERVICE, ATTEST, ATTEST.replace('await assertAttested(', 'yield assertAttested(')],
  ]);
  const d = diffFromBase();
  assert.is(d.code, 1);
  assert.equal(d.changes, [['KEYGATE_GUARD_NOT_AWAITED', ROTATE_SITE, 'assertAttested']]);
});

test('benign: the guard behind a typed const alias of itself, in a try whose finally only cleans up: no weakening', () => {
  attack('benign', [
    [
      SERVICE,
      'export const MIN_CUSTODIANS = 2;',
      'export const MIN_CUSTODIANS = 2;\nconst attest: typeof assertAttested = assertAttested;',
    ],
    [
      SERVICE,
      ATTEST,
      ATTEST.replace(
        "  await assertAttested('TEE_PROD');",
        "  try {\n    await attest('TEE_PROD');\n  } finally {\n    for (const _ of [0]) break;\n  }",
      ),
    ],
  ]);
  const d = diffFromBase();
  assert.equal(d.changes, []);
  assert.is(d.code, 0);
});

test.run();
