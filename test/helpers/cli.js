// Run the CLI in a child process. Uses bin/policydrift.js once `diff` is registered there; until then a
// stand-in that mirrors src/cli/index.ts main() with registerDiff/registerExplain added.
import { spawnTimed } from '../helpers.js';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../dist/cli/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'policydrift.js');
export const BIN_HAS_DIFF = buildProgram(() => {}).commands.some((c) => c.name() === 'diff');

const STANDIN = `
import { buildProgram } from ${JSON.stringify(path.join(ROOT, 'dist/cli/index.js'))};
import { registerDiff, registerExplain } from ${JSON.stringify(path.join(ROOT, 'dist/cli/diff.js'))};
import { UserError } from ${JSON.stringify(path.join(ROOT, 'dist/errors.js'))};
let code = 0;
const program = buildProgram((c) => { code = c; });
registerDiff(program, (c) => { code = c; });
registerExplain(program, (c) => { code = c; });
for (const c of program.commands) c.exitOverride();
try {
  await program.parseAsync(process.argv.slice(0, 1).concat(['policydrift'], process.argv.slice(1)));
} catch (e) {
  if (e && typeof e.code === 'string' && e.code.startsWith('commander.')) code = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
  else if (e instanceof UserError) {
    process.stderr.write('policydrift: error: ' + e.message + '\\n');
    if (e.hint) process.stderr.write('  hint: ' + e.hint + '\\n');
    code = e.exitCode;
  } else { process.stderr.write(String(e && e.stack)); code = 70; }
}
process.exitCode = code;
`;

export function runCli(args, opts = {}) {
  const argv = BIN_HAS_DIFF ? [BIN, ...args] : ['--input-type=module', '-e', STANDIN, '--', ...args];
  const r = spawnTimed(process.execPath, argv, { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
