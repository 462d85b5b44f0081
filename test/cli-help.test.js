// What --help tells a new user: diff operands can be git:<rev>, check has --format github, every command has --quiet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli } from './helpers.js';
import { buildProgram } from '../dist/cli/index.js';

test('diff --help names git:<rev> operands, with an example', () => {
  const r = cli(['diff', '--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /base\s+base manifest: a file, or git:<rev>/);
  assert.match(r.stdout, /policydrift diff git:main git:HEAD --format markdown/);
});

test('check --help lists the github format; an unknown format names it', () => {
  assert.match(cli(['check', '--help']).stdout, /output format: text, json, markdown, sarif, github/);
  const r = cli(['check', '--format', 'gh']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown --format "gh"\n {2}hint: use one of: text, json, markdown, sarif, github/);
});

test('every command accepts --quiet', () => {
  const program = buildProgram(() => {});
  const missing = program.commands.filter((c) => !c.options.some((o) => o.long === '--quiet')).map((c) => c.name());
  assert.equal(missing, []);
  assert.ok(program.commands.length >= 8);
});

test.run();
