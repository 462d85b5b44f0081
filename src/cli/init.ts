import type { Command } from 'commander';
import { EXIT } from '../errors.js';
import { resolveRoot } from './extract.js';

export interface InitFlags {
  root?: string;
  force?: boolean;
}

export function registerInit(program: Command, setExit: (code: number) => void): void {
  program
    .command('init')
    .description(
      'Set policydrift up in a project: detect it, write a commented policydrift.config.json, the first manifest and an empty release registry, and print the next steps (hook, CI, OpenSpec). Idempotent; keeps existing files unless --force',
    )
    .option('--root <dir>', 'project root (where tsconfig.json is)', '.')
    .option('--force', 'replace an existing config and a stale manifest (the release registry is never rewritten)')
    .action(async (flags: InitFlags) => {
      setExit(await runInitCommand(flags));
    });
}

const LABEL: Record<string, string> = {
  created: 'created  ',
  replaced: 'replaced ',
  updated: 'updated  ',
  unchanged: 'unchanged',
  kept: 'kept     ',
};

export async function runInitCommand(flags: InitFlags): Promise<number> {
  const root = resolveRoot(flags.root);
  const ws = await workspaceRoot(root);
  if (ws) return (await import('../workspace/init.js')).runWorkspaceInit(root, ws, { force: flags.force });
  // Loaded lazily: the init module pulls in ts-morph.
  const { runInit } = await import('../init/index.js');
  const r = runInit({ root, force: flags.force });
  const d = r.detection;
  const facts = [
    d.tsconfig ?? 'no tsconfig.json',
    d.packageManager ? `${d.packageManager} (${d.lockfile})` : 'no lockfile (assuming npm)',
    d.gitTop ? 'git repository' : 'not a git repository',
    d.openspec ? 'openspec/' : 'no openspec/',
    d.hooks.length ? `hooks: ${[...new Set(d.hooks.map((h) => h.manager))].join(', ')}` : 'no hook manager',
  ];
  const out: string[] = [`policydrift init: ${facts.join(', ')}`];
  for (const f of r.files) out.push(`  ${LABEL[f.action]}  ${f.path}${f.note ? `  (${f.note})` : ''}`);
  out.push(r.changed ? '' : '\nNothing changed: policydrift is already set up here.\n');
  out.push('Next steps:');
  r.nextSteps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.pass;
}

/** A workspace root without a project of its own (no tsconfig.json, or a solution tsconfig with references): docs/monorepo.md. */
async function workspaceRoot(root: string): Promise<import('../workspace/index.js').Workspace | null> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const tsconfig = path.join(root, 'tsconfig.json');
  const hasOwnProject = fs.existsSync(tsconfig) && !/"references"\s*:/.test(fs.readFileSync(tsconfig, 'utf8'));
  if (hasOwnProject) return null;
  const { discoverWorkspace, fsReader } = await import('../workspace/index.js');
  const ws = discoverWorkspace(fsReader(root));
  // A solution tsconfig alone is one project (src/extract/analysis/program.ts programTsconfigs) unless its packages have their own configs.
  if (ws && ws.sources.every((s) => s === 'tsconfig.json references') && ws.packages.length === 0) return null;
  return ws;
}
