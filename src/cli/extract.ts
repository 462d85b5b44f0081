import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { Manifest } from '../manifest/types.js';
import { EXIT, UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { CONFIG_FILE } from '../config/constants.js';
import { note } from '../util/progress.js';
import { describeUpdate, reportStale } from '../extract/staged.js';
import { rootOption } from './options.js';

// Everything that loads ts-morph (src/extract, including src/extract/from-tree.ts,
// src/git/fs-host) or ajv (src/config, src/manifest) is imported lazily inside the
// action, so a pre-commit run that hits the cache never pays for it.

export interface ExtractFlags {
  root?: string;
  config?: string;
  out?: string;
  write?: boolean;
  check?: boolean;
  ref?: string;
  staged?: boolean;
  cache?: boolean;
  workspace?: boolean;
  indexOnly?: boolean;
}

/**
 * The project root: `--root` when given; otherwise, as tsc and eslint do, the nearest folder from the
 * current one upward that holds policydrift.config.json (not above the repository top), else the current folder.
 */
export function resolveRoot(root?: string): string {
  if (root === undefined) return discoverRoot(process.cwd());
  const abs = path.resolve(root);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new UserError(`${root}: not a directory`, {
      hint: 'pass --root DIR pointing at the project (where tsconfig.json is)',
    });
  }
  return abs;
}

export function discoverRoot(start: string): string {
  for (let dir = path.resolve(start); ;) {
    if (fs.existsSync(path.join(dir, CONFIG_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir || fs.existsSync(path.join(dir, '.git'))) return path.resolve(start);
    dir = parent;
  }
}

/** How the root is shown in messages: relative to the current folder. */
export const rootLabel = (root: string): string => path.relative(process.cwd(), root) || '.';

export function registerExtract(program: Command, setExit: (code: number) => void): void {
  program
    .command('extract')
    .description('Derive the invariant manifest from the source (canonical JSON on stdout, or --out/--write)')
    .addOption(rootOption())
    .option('--config <file>', 'config file (default: <root>/policydrift.config.json when present)')
    .option('--out <file>', 'write the manifest to this file instead of stdout')
    .option(
      '--write',
      'update the committed manifest (config "manifest", default invariants.manifest.json), bumping its version when the content changed',
    )
    .option('--check', 'exit 1 when the committed manifest is stale, listing the entries that differ')
    .option(
      '--ref <rev>',
      'extract the tree of this commit straight from the git object database (no checkout); node_modules type packages come read-only from the working tree',
    )
    .option(
      '--staged',
      'extract the STAGED content (the git index, as it will be committed) instead of the working tree; with --write the manifest is also `git add`ed (for pre-commit hooks)',
    )
    .option(
      '--workspace',
      'at a workspace root (npm/yarn/pnpm workspaces, tsconfig references): extract every package that has a policydrift.config.json (or is listed in the root config "packages") with its own tsconfig; with --write also write each manifest and the workspace index (docs/monorepo.md)',
    )
    .option(
      '--index-only',
      'with --workspace: build the workspace index from the manifests on disk (after Turborepo/Nx extracted each package)',
    )
    .option(
      '--no-cache',
      `with --staged: ignore the cache under <root>/node_modules/.cache/policydrift/ (always safe to delete)`,
    )
    .action(async (flags: ExtractFlags) => {
      setExit(await runExtract(flags));
    });
}

export async function runExtract(flags: ExtractFlags): Promise<number> {
  if (flags.out && flags.write)
    throw new UserError('--out and --write cannot be used together', {
      hint: 'use --write for the committed manifest, --out for any other file',
    });
  const root = resolveRoot(flags.root);
  if (flags.workspace) return (await import('../workspace/extract.js')).runWorkspaceExtract(root, flags);
  if (flags.indexOnly)
    throw new UserError('--index-only needs --workspace', {
      hint: 'policydrift extract --workspace --index-only --write',
    });
  if (flags.staged) {
    if (flags.ref !== undefined)
      throw new UserError('--staged cannot be combined with --ref', {
        hint: '--staged reads the git index, --ref a commit',
      });
    return (await import('../extract/staged.js')).runStaged(root, flags);
  }
  if (flags.ref !== undefined) {
    if (flags.write || flags.check)
      throw new UserError('--ref cannot be combined with --write or --check', {
        hint: 'extract --ref REV prints (or --out writes) the manifest of that commit',
      });
    const [{ extractAtRef }, { canonicalJson }] = await Promise.all([
      import('../extract/from-tree.js'),
      import('../manifest/index.js'),
    ]);
    const { manifest } = extractAtRef({ repoDir: root, rev: flags.ref, configPath: flags.config });
    const text = canonicalJson(manifest);
    if (flags.out) writeFileAtomic(path.resolve(flags.out), text);
    else process.stdout.write(text);
    return EXIT.pass;
  }
  const [{ loadConfig }, { canonicalJson, differingEntries, readManifestFile }, { extractManifest }] =
    await Promise.all([import('../config/index.js'), import('../manifest/index.js'), import('../extract/index.js')]);
  const config = loadConfig(root, flags.config);
  const manifestPath = path.resolve(root, config.manifest);
  const manifestLabel = path.relative(process.cwd(), manifestPath) || config.manifest;
  const committed: Manifest | null = fs.existsSync(manifestPath)
    ? readManifestFile(manifestPath, manifestLabel, { acceptOlder: true })
    : null;

  const safeRead = (file: string): Manifest | null => {
    try {
      return readManifestFile(file);
    } catch {
      return null;
    }
  };
  const target = flags.out ? path.resolve(flags.out) : null;
  const previous =
    flags.write || flags.check ? committed : target && fs.existsSync(target) ? safeRead(target) : committed;
  const manifest = extractManifest({ root, config, previous, label: rootLabel(root) });
  const text = canonicalJson(manifest);

  if (flags.check) {
    if (!committed) {
      process.stderr.write(
        `policydrift: ${manifestLabel} does not exist\n  hint: run \`policydrift extract --write\` and commit it\n`,
      );
      return EXIT.policy;
    }
    const current = fs.readFileSync(manifestPath, 'utf8');
    if (current === text) {
      note(`policydrift: ${manifestLabel} is up to date (version ${committed.manifestVersion})\n`);
      return EXIT.pass;
    }
    reportStale(manifestLabel, differingEntries(committed, manifest), 'policydrift extract --write');
    return EXIT.policy;
  }
  if (flags.write) {
    const before = committed ? fs.readFileSync(manifestPath, 'utf8') : null;
    if (before === text) {
      note(`policydrift: ${manifestLabel} unchanged (version ${manifest.manifestVersion})\n`);
    } else {
      writeFileAtomic(manifestPath, text);
      note(`policydrift: ${manifestLabel} ${describeUpdate(committed, manifest)}\n`);
    }
    return EXIT.pass;
  }
  if (target) {
    writeFileAtomic(target, text);
    return EXIT.pass;
  }
  process.stdout.write(text);
  return EXIT.pass;
}
