import { Command, CommanderError } from 'commander';
import { EXIT, UserError } from '../errors.js';
import { VERSION } from '../version.js';
import { enableProgress, setQuiet } from '../util/progress.js';
import { registerExtract } from './extract.js';
import { registerRegistry } from './registry.js';
import { registerVerifyBuild } from './verify-build.js';
import { registerCheck } from './check.js';
import { registerRelease } from './release.js';
import { registerDiff, registerExplain } from './diff.js';
import { registerInit } from './init.js';

/** Every subcommand registers itself here; each returns its exit code through `setExit`. */
export type Registrar = (program: Command, setExit: (code: number) => void) => void;

const registrars: Registrar[] = [
  registerExtract,
  registerDiff,
  registerCheck,
  registerRegistry,
  registerVerifyBuild,
  registerRelease,
  registerExplain,
  registerInit,
];

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('policydrift')
    .description(
      'Keep privacy invariants machine-checked: extract an invariant manifest from TypeScript source, diff it semantically, gate drift and releases on approved OpenSpec change sets.',
    )
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const r of registrars) r(program, setExit);
  const quietOption = (c: Command): void => {
    if (!c.options.some((o) => o.long === '--quiet'))
      c.option('-q, --quiet', 'no progress or notes on stderr (errors, failures and the report stay)');
    c.commands.forEach(quietOption);
  };
  for (const c of program.commands) {
    c.exitOverride();
    quietOption(c);
  }
  return program;
}

/** Run the CLI; never throws. User errors print `policydrift: <message>` (+ hint) and exit 2 (or their own code). */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.pass;
  const program = buildProgram((c) => {
    code = c;
  });
  // Decided before parsing: progress starts with the command. Only the subcommand's own arguments count.
  const quiet = argv.slice(3).some((a) => a === '--quiet' || a === '-q');
  setQuiet(quiet);
  const clearProgress = enableProgress(process.stderr, process.env, { quiet });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (e) {
    clearProgress();
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.pass;
      return EXIT.usage;
    }
    if (e instanceof UserError) {
      process.stderr.write(`policydrift: error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(
      `policydrift: internal error: ${err?.message ?? String(e)}\n${err?.stack ?? ''}\nThis is a bug in policydrift; please report it.\n`,
    );
    return 70;
  } finally {
    clearProgress();
  }
}
