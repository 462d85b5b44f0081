import * as path from 'node:path';
import type { Command } from 'commander';
import type { DiffResult, FailLevel } from '../diff/index.js';
import { EXIT, UserError } from '../errors.js';
import type { ReportOptions } from '../report/format.js';
import { failOnOption, formatOption } from './options.js';

// Everything heavy (the diff engine, the rule catalogue, the report renderers,
// JSON Schema validation, and for git: operands the TypeScript compiler) is
// loaded by the action that needs it, so that `--help`, `--version` and the
// other commands start fast.

export const FORMATS = ['text', 'json', 'markdown', 'sarif', 'github'] as const;
export type Format = (typeof FORMATS)[number];

/** The renderer of each format (loads the report modules). */
export async function loadRenderers(): Promise<Record<Format, (result: DiffResult, opts: ReportOptions) => string>> {
  const [{ renderGithub }, { renderJson }, { renderMarkdown }, { renderSarif }, { renderText }] = await Promise.all([
    import('../report/github.js'),
    import('../report/json.js'),
    import('../report/markdown.js'),
    import('../report/sarif.js'),
    import('../report/text.js'),
  ]);
  return {
    text: renderText,
    json: (r) => renderJson(r),
    markdown: renderMarkdown,
    sarif: renderSarif,
    github: renderGithub,
  };
}

type RulesModules = typeof import('../diff/rules/index.js') & typeof import('../diff/rules/reference.js');
let rulesModules: RulesModules | undefined;

/** Load the rule catalogue; `runExplain` and `closeRuleIds` need it loaded (`runDiff` and the explain command do it). */
export async function loadRules(): Promise<RulesModules> {
  if (!rulesModules) {
    const [index, reference] = await Promise.all([
      import('../diff/rules/index.js'),
      import('../diff/rules/reference.js'),
    ]);
    rulesModules = { ...index, ...reference };
  }
  return rulesModules;
}

function rules(): RulesModules {
  if (!rulesModules) throw new Error('the rule catalogue is not loaded: await loadRules() first');
  return rulesModules;
}

export interface DiffFlags {
  format?: string;
  failOn?: string;
  config?: string;
}

export interface DiffEnv {
  /** Where relative operands and the default config are looked up (default process.cwd()). */
  cwd?: string;
  /** Colour for the text format; the CLI passes isTTY && !NO_COLOR. */
  color?: boolean;
}

export interface DiffRun {
  exitCode: number;
  output: string;
  result: DiffResult;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`, {
    hint: `e.g. ${flag} ${dflt}`,
  });
}

/** A relative POSIX path for SARIF/GitHub when a change has no location of its own; none when outside cwd. */
function fallbackUri(spec: string, cwd: string): string | undefined {
  if (spec.startsWith('git:')) return undefined;
  const rel = path.relative(cwd, path.resolve(cwd, spec)).split(path.sep).join('/');
  return rel && !rel.startsWith('../') && rel !== '..' && !path.isAbsolute(rel) ? rel : undefined;
}

/** `policydrift diff` without the process: returns the report and the exit code. */
export async function runDiff(
  baseSpec: string,
  headSpec: string,
  flags: DiffFlags,
  env: DiffEnv = {},
): Promise<DiffRun> {
  const [{ loadConfig }, { diffManifests, failsAt, FAIL_LEVELS }, { loadManifestOperand }, renderers] =
    await Promise.all([
      import('../config/index.js'),
      import('../diff/index.js'),
      import('./operands.js'),
      loadRenderers(),
      loadRules(),
    ]);
  const format = oneOf('--format', flags.format, FORMATS, 'text');
  const failOn = oneOf<FailLevel>('--fail-on', flags.failOn, FAIL_LEVELS, 'weakening');
  const cwd = env.cwd ?? process.cwd();
  // An explicit --config is relative to the working directory the operands are relative to.
  const config = loadConfig(cwd, flags.config && env.cwd ? path.resolve(env.cwd, flags.config) : flags.config);
  const base = await loadManifestOperand(baseSpec, { cwd });
  const head = await loadManifestOperand(headSpec, { cwd });
  const result = diffManifests(base, head, config.orders);
  const output = renderers[format](result, {
    color: format === 'text' && !!env.color,
    failOn,
    fallbackUri: fallbackUri(headSpec, cwd),
  });
  return { exitCode: failsAt(result, failOn) ? EXIT.policy : EXIT.pass, output, result };
}

export function useColor(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY && !env.NO_COLOR;
}

export function registerDiff(program: Command, setExit: (code: number) => void): void {
  program
    .command('diff')
    .description(
      'Compare two invariant manifests semantically: every change is a weakening, strengthening, modified or neutral (exit 1 when --fail-on is reached)',
    )
    .argument('<base>', 'base manifest: a file, or git:<rev> (the manifest extracted at that commit, e.g. git:main)')
    .argument('<head>', 'head manifest: a file, or git:<rev> (e.g. git:HEAD)')
    .addOption(formatOption(FORMATS))
    .addOption(failOnOption())
    .option('--config <file>', 'config file for the orders (default: ./policydrift.config.json when present)')
    .addHelpText(
      'after',
      '\nExamples:\n  policydrift diff git:main git:HEAD --format markdown\n  policydrift diff old.manifest.json invariants.manifest.json --fail-on any',
    )
    .action(async (base: string, head: string, flags: DiffFlags) => {
      const run = await runDiff(base, head, flags, { color: useColor() });
      process.stdout.write(run.output);
      setExit(run.exitCode);
    });
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Rule ids close to a mistyped one: containing it, or within a small edit distance. */
export function closeRuleIds(input: string, ids: readonly string[] = rules().RULES.map((r) => r.id)): string[] {
  const want = input
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
  if (!want) return [];
  const limit = Math.max(2, Math.floor(want.length / 4));
  return ids
    .map((id) => ({ id, d: id.includes(want) || want.includes(id) ? 0 : editDistance(want, id) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : 1))
    .slice(0, 8)
    .map((x) => x.id);
}

/** `policydrift explain <RULE_ID>`: the rule's reference entry (after `loadRules()`). */
export function runExplain(ruleId: string): string {
  const { findRule, renderRuleText } = rules();
  const rule = findRule(ruleId.trim().toUpperCase());
  if (rule) return renderRuleText(rule);
  const close = closeRuleIds(ruleId);
  throw new UserError(
    `unknown rule ${JSON.stringify(ruleId)}${close.length ? `; close matches: ${close.join(', ')}` : ''}`,
    {
      hint: 'rule ids are listed in docs/rules.md (e.g. LE_RESPONSE_ADDED)',
    },
  );
}

export function registerExplain(program: Command, setExit: (code: number) => void): void {
  program
    .command('explain')
    .description('Print what a diff rule means and how to justify it')
    .argument('<rule>', 'rule id, e.g. LE_RESPONSE_ADDED')
    .action(async (rule: string) => {
      await loadRules();
      process.stdout.write(runExplain(rule));
      setExit(EXIT.pass);
    });
}
