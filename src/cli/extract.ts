import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { extractManifest } from '../extract/index.js';
import { canonicalJson, differingEntries, readManifestFile } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { EXIT, UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { extractAtRef } from '../git/extract-at-ref.js';

export interface ExtractFlags {
  root?: string;
  config?: string;
  out?: string;
  write?: boolean;
  check?: boolean;
  ref?: string;
}

export function resolveRoot(root?: string): string {
  const abs = path.resolve(root ?? '.');
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new UserError(`${root ?? '.'}: not a directory`, { hint: 'pass --root DIR pointing at the project (where tsconfig.json is)' });
  }
  return abs;
}

export function registerExtract(program: Command, setExit: (code: number) => void): void {
  program
    .command('extract')
    .description('Derive the invariant manifest from the source (canonical JSON on stdout, or --out/--write)')
    .option('--root <dir>', 'project root (where tsconfig.json is)', '.')
    .option('--config <file>', 'config file (default: <root>/policydrift.config.json when present)')
    .option('--out <file>', 'write the manifest to this file instead of stdout')
    .option('--write', 'update the committed manifest (config "manifest", default invariants.manifest.json), bumping its version when the content changed')
    .option('--check', 'exit 1 when the committed manifest is stale, listing the entries that differ')
    .option('--ref <rev>', 'extract the tree of this commit straight from the git object database (no checkout); node_modules type packages come read-only from the working tree')
    .action((flags: ExtractFlags) => {
      setExit(runExtract(flags));
    });
}

export function runExtract(flags: ExtractFlags): number {
  if (flags.out && flags.write) throw new UserError('--out and --write cannot be used together', { hint: 'use --write for the committed manifest, --out for any other file' });
  const root = resolveRoot(flags.root);
  if (flags.ref !== undefined) {
    if (flags.write || flags.check) throw new UserError('--ref cannot be combined with --write or --check', { hint: 'extract --ref REV prints (or --out writes) the manifest of that commit' });
    const { manifest } = extractAtRef({ repoDir: root, rev: flags.ref, configPath: flags.config });
    const text = canonicalJson(manifest);
    if (flags.out) writeFileAtomic(path.resolve(flags.out), text);
    else process.stdout.write(text);
    return EXIT.pass;
  }
  const config = loadConfig(root, flags.config);
  const manifestPath = path.resolve(root, config.manifest);
  const manifestLabel = path.relative(process.cwd(), manifestPath) || config.manifest;
  const committed: Manifest | null = fs.existsSync(manifestPath) ? readManifestFile(manifestPath, manifestLabel) : null;

  const target = flags.out ? path.resolve(flags.out) : null;
  const previous = flags.write || flags.check ? committed : target && fs.existsSync(target) ? safeRead(target) : committed;
  const manifest = extractManifest({ root, config, previous, label: flags.root ?? '.' });
  const text = canonicalJson(manifest);

  if (flags.check) {
    if (!committed) {
      process.stderr.write(`policydrift: ${manifestLabel} does not exist\n  hint: run \`policydrift extract --write\` and commit it\n`);
      return EXIT.policy;
    }
    const current = fs.readFileSync(manifestPath, 'utf8');
    if (current === text) {
      process.stderr.write(`policydrift: ${manifestLabel} is up to date (version ${committed.manifestVersion})\n`);
      return EXIT.pass;
    }
    const entries = differingEntries(committed, manifest);
    process.stderr.write(`policydrift: ${manifestLabel} is stale${entries.length ? '; entries that differ:' : ' (formatting or generator version differs)'}\n`);
    for (const e of entries) process.stderr.write(`  - ${e}\n`);
    process.stderr.write('  hint: run `policydrift extract --write` and commit the result\n');
    return EXIT.policy;
  }
  if (flags.write) {
    const before = committed ? fs.readFileSync(manifestPath, 'utf8') : null;
    if (before === text) {
      process.stderr.write(`policydrift: ${manifestLabel} unchanged (version ${manifest.manifestVersion})\n`);
    } else {
      writeFileAtomic(manifestPath, text);
      const what = !committed ? 'created' : committed.digest === manifest.digest ? 'updated (locations or generator only; version kept)' : `updated to version ${manifest.manifestVersion}`;
      process.stderr.write(`policydrift: ${manifestLabel} ${what}\n`);
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

function safeRead(file: string): Manifest | null {
  try {
    return readManifestFile(file);
  } catch {
    return null;
  }
}
