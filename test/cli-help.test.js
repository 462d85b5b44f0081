// What --help tells a new user: diff operands can be git:<rev>, check has --format github, every command has --quiet.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli } from './helpers.js';
import { FAIL_LEVELS } from '../dist/diff/levels.js';
import { buildProgram } from '../dist/cli/index.js';

test('diff --help names git:<rev> operands, with an example', () => {
  const r = cli(['diff', '--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /base\s+base manifest: a file, or git:<rev>/);
  assert.match(r.stdout, /policydrift diff git:main git:HEAD --format markdown/);
});

test('check --help lists the github format; an unknown format names it', () => {
  // commander wraps the help at the terminal width: compare with the whitespace collapsed.
  const help = cli(['check', '--help']).stdout.replace(/\s+/g, ' ');
  assert.match(help, /output format \(choices: "text", "json", "markdown", "sarif", "github", default: "text"\)/);
  const r = cli(['check', '--format', 'gh']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /argument 'gh' is invalid\. Allowed choices are text, json, markdown, sarif, github\./);
});

test('shared options: --format and --fail-on choices come from one place; a wrong value is a usage error', () => {
  const program = buildProgram(() => {});
  const opt = (/** @type {string} */ cmd, /** @type {string} */ long) =>
    program.commands.find((c) => c.name() === cmd)?.options.find((o) => o.long === long);
  assert.equal(opt('diff', '--fail-on')?.argChoices, [...FAIL_LEVELS]);
  assert.equal(opt('diff', '--format')?.argChoices, ['text', 'json', 'markdown', 'sarif', 'github']);
  for (const cmd of ['release', 'verify-build']) assert.equal(opt(cmd, '--format')?.argChoices, ['text', 'json']);
  for (const cmd of ['extract', 'check', 'justify', 'approve', 'approvals', 'release', 'verify-build'])
    assert.is(opt(cmd, '--root')?.description, opt('extract', '--root')?.description, cmd);
  const r = cli(['verify-build', '--profile', 'prod', '--format', 'xml']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /argument 'xml' is invalid\. Allowed choices are text, json\./);
});

test('every command accepts --quiet', () => {
  const program = buildProgram(() => {});
  const missing = program.commands.filter((c) => !c.options.some((o) => o.long === '--quiet')).map((c) => c.name());
  assert.equal(missing, []);
  assert.ok(program.commands.length >= 8);
});

test.run();
