/**
 * `policydrift extract --workspace`: every covered package of the workspace
 * extracted with its own config and tsconfig in one process (lib files and
 * unchanged workspace sources are parsed once: src/extract/analysis/program.ts's lean project
 * reuses the previous program's files), each manifest written at the
 * package's configured path, then the workspace manifest index at the root.
 * `--index-only` builds the index from the manifests on disk (after
 * Turborepo or Nx ran each package's extraction).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/index.js';
import { EXIT, UserError } from '../errors.js';
import { extractManifest } from '../extract/index.js';
import { canonicalJson, differingEntries, readManifestFile } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { writeFileAtomic } from '../util/fs.js';
import {
  buildIndex,
  discoverWorkspace,
  fsReader,
  indexEntry,
  parseIndexText,
  type IndexEntry,
  type Workspace,
  type WorkspaceIndex,
} from './index.js';

export interface WorkspaceExtractFlags {
  write?: boolean;
  check?: boolean;
  indexOnly?: boolean;
  ref?: string;
  staged?: boolean;
  config?: string;
  out?: string;
}

const shown = (abs: string) => path.relative(process.cwd(), abs).split(path.sep).join('/') || path.basename(abs);

function describeUpdate(committed: Manifest | null, m: Manifest): string {
  if (!committed) return 'created';
  return committed.digest === m.digest
    ? 'updated (locations or generator only; version kept)'
    : `updated to version ${m.manifestVersion}`;
}

/** The workspace at `root`, with at least one covered package. */
export function openWorkspace(root: string): Workspace {
  const ws = discoverWorkspace(fsReader(root), { requireWorkspace: true })!;
  if (ws.packages.length === 0) {
    throw new UserError(
      `${shown(root) || '.'}: no workspace package has a policydrift.config.json (members: ${ws.members.map((m) => m.dir).join(', ') || 'none'})`,
      {
        hint: 'run `policydrift init` in each package to cover, or list them in "packages" of the root policydrift.config.json',
      },
    );
  }
  return ws;
}

export function runWorkspaceExtract(root: string, flags: WorkspaceExtractFlags): number {
  for (const [flag, set] of [
    ['--ref', flags.ref !== undefined],
    ['--staged', flags.staged],
    ['--config', flags.config !== undefined],
  ] as const) {
    if (set)
      throw new UserError(`--workspace cannot be combined with ${flag}`, {
        hint: 'each package reads its own policydrift.config.json; run `check` at the root to compare commits',
      });
  }
  if (flags.indexOnly && !flags.write && !flags.check && !flags.out) {
    throw new UserError('--index-only needs --write, --check or --out', {
      hint: 'policydrift extract --workspace --index-only --write',
    });
  }
  const ws = openWorkspace(root);
  const indexAbs = path.join(root, ...ws.indexPath.split('/'));
  const entries: Record<string, IndexEntry> = {};
  const stale: string[] = [];

  for (const pkg of ws.packages) {
    const dir = path.join(root, ...pkg.dir.split('/'));
    const config = loadConfig(dir);
    const manifestAbs = path.resolve(dir, config.manifest);
    const rel = path.relative(root, manifestAbs).split(path.sep).join('/');
    if (rel.startsWith('../') || path.isAbsolute(rel)) {
      throw new UserError(
        `${shown(path.join(dir, 'policydrift.config.json'))}: "manifest" ${config.manifest} is outside the workspace`,
        { hint: 'keep each manifest inside its package' },
      );
    }
    const label = shown(manifestAbs);
    const committed: Manifest | null = fs.existsSync(manifestAbs) ? readManifestFile(manifestAbs, label) : null;
    let manifest: Manifest;
    if (flags.indexOnly) {
      if (!committed)
        throw new UserError(`${label} does not exist (package ${pkg.name})`, {
          hint: 'run `policydrift extract --write` in the package (or `extract --workspace --write` at the root) first',
        });
      manifest = committed;
    } else {
      manifest = extractManifest({ root: dir, config, previous: committed, label: pkg.dir });
    }
    entries[pkg.name] = indexEntry(pkg, path.posix.relative(pkg.dir, rel), manifest);
    if (flags.indexOnly) continue;
    const text = canonicalJson(manifest);
    const before = committed ? fs.readFileSync(manifestAbs, 'utf8') : null;
    if (flags.check) {
      if (before !== text) {
        stale.push(label);
        process.stderr.write(`policydrift: ${pkg.name}: ${label} is ${committed ? 'stale' : 'missing'}\n`);
        for (const e of committed ? differingEntries(committed, manifest) : []) process.stderr.write(`  - ${e}\n`);
      } else
        process.stderr.write(
          `policydrift: ${pkg.name}: ${label} is up to date (version ${manifest.manifestVersion})\n`,
        );
    } else if (flags.write) {
      if (before === text)
        process.stderr.write(`policydrift: ${pkg.name}: ${label} unchanged (version ${manifest.manifestVersion})\n`);
      else {
        writeFileAtomic(manifestAbs, text);
        process.stderr.write(`policydrift: ${pkg.name}: ${label} ${describeUpdate(committed, manifest)}\n`);
      }
    }
  }

  let previous: WorkspaceIndex | null = null;
  const indexText = fs.existsSync(indexAbs) ? fs.readFileSync(indexAbs, 'utf8') : null;
  if (indexText !== null) {
    try {
      previous = parseIndexText(indexText, shown(indexAbs));
    } catch (e) {
      if (flags.check) throw e;
      previous = null; // --write replaces an index that no longer parses (its version restarts at 1)
    }
  }
  const index = buildIndex(entries, previous);
  const text = canonicalJson(index);
  if (flags.check) {
    if (indexText !== text) {
      stale.push(shown(indexAbs));
      process.stderr.write(`policydrift: ${shown(indexAbs)} is ${indexText === null ? 'missing' : 'stale'}\n`);
    }
    if (stale.length) {
      process.stderr.write(
        `  hint: run \`policydrift extract --workspace --write\` at the workspace root and commit the result\n`,
      );
      return EXIT.policy;
    }
    process.stderr.write(
      `policydrift: workspace index ${shown(indexAbs)} is up to date (workspace version ${index.workspaceVersion}, ${ws.packages.length} packages)\n`,
    );
    return EXIT.pass;
  }
  if (flags.out) {
    writeFileAtomic(path.resolve(flags.out), text);
    return EXIT.pass;
  }
  if (flags.write) {
    if (indexText === text)
      process.stderr.write(`policydrift: ${shown(indexAbs)} unchanged (workspace version ${index.workspaceVersion})\n`);
    else {
      writeFileAtomic(indexAbs, text);
      process.stderr.write(
        `policydrift: ${shown(indexAbs)} ${previous ? `updated to workspace version ${index.workspaceVersion}` : 'created'} (${ws.packages.length} packages)\n`,
      );
    }
    return EXIT.pass;
  }
  process.stdout.write(text);
  return EXIT.pass;
}
