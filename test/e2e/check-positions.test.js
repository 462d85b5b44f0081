// SARIF and GitHub annotations point at the line of the change: resolved at report time from the candidate
// commit's file (the manifest holds no positions), after a real extraction and check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, git, tmpdir, copyTree, SAMPLE } from '../helpers.js';

test('check --format sarif / github: the added LE response variant at its line and column', () => {
  const dir = tmpdir('policydrift-positions-');
  copyTree(SAMPLE, dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'service');
  git(dir, 'checkout', '-qb', 'feature');
  fs.writeFileSync(
    path.join(dir, 'src/le/wiretap.ts'),
    "// Wiretap content.\n\nexport interface WiretapContent {\n  kind: 'WIRETAP_CONTENT';\n  requestId: string;\n}\n",
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
  assert.is(cli(['extract', '--write'], { cwd: dir }).code, 0);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'add wiretap content response');
  // The working tree moves on after the commit: positions come from the candidate commit, not the disk.
  fs.writeFileSync(
    path.join(dir, 'src/le/wiretap.ts'),
    '\n\n\n\n\n' + fs.readFileSync(path.join(dir, 'src/le/wiretap.ts'), 'utf8'),
  );

  let r = cli(['check', '--against', 'main', '--format', 'sarif'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  const results = JSON.parse(r.stdout).runs[0].results.filter((x) => x.ruleId === 'LE_RESPONSE_ADDED');
  assert.is(results.length, 1);
  assert.equal(results[0].locations[0].physicalLocation, {
    artifactLocation: { uri: 'src/le/wiretap.ts' },
    region: { startLine: 4, startColumn: 9 },
  });

  r = cli(['check', '--against', 'main', '--format', 'github'], { cwd: dir });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^::error file=src\/le\/wiretap\.ts,line=4,col=9,title=LE_RESPONSE_ADDED \(weakening\)::/m);
});

test.run();
