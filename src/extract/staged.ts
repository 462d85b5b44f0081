/**
 * `extract --staged` (pre-commit hooks): the manifest of the git index, with
 * the cache of src/cache that returns before ts-morph is loaded when no
 * relevant staged input changed. Everything that loads ts-morph (src/extract,
 * src/git/fs-host) or ajv (src/config, src/manifest) is imported lazily.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStagedEntry, stagedCacheFile, stagedKey, writeStagedEntry } from '../cache/index.js';
import { CONFIG_FILE } from '../config/constants.js';
import { EXIT, UserError } from '../errors.js';
import { absolutizeGitEnv, blobOid, listIndex, locateInRepo, readIndexTree } from '../git/index-tree.js';
import { runGit } from '../git/run.js';
import type { Manifest } from '../manifest/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { note } from '../util/progress.js';
import { VERSION } from '../version.js';

export interface StagedFlags {
  config?: string;
  out?: string;
  write?: boolean;
  check?: boolean;
  cache?: boolean;
}

/** How a rewritten manifest is described: created, or updated (with or without a version bump). */
export function describeUpdate(committed: Manifest | null, manifest: Manifest): string {
  if (!committed) return 'created';
  return committed.digest === manifest.digest
    ? 'updated (locations or generator only; version kept)'
    : `updated to version ${manifest.manifestVersion}`;
}

/** A stale manifest on stderr: the entries that differ and the command that fixes it. */
export function reportStale(label: string, entries: string[], fix: string): void {
  process.stderr.write(
    `policydrift: ${label} is stale${entries.length ? '; entries that differ:' : ' (formatting or generator version differs)'}\n`,
  );
  for (const e of entries) process.stderr.write(`  - ${e}\n`);
  process.stderr.write(`  hint: run \`${fix}\` and commit the result\n`);
}

/** A path (absolute) as a repository-relative POSIX path that stays inside the repository. */
function repoRelative(top: string, abs: string, what: string): string {
  const rel = path.relative(top, abs).split(path.sep).join('/');
  if (rel === '' || rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) {
    throw new UserError(`${what} ${abs} is not inside the repository ${top}`, {
      hint: 'with --staged every input comes from the git index of the repository',
    });
  }
  return rel;
}

const posixJoin = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

/**
 * `extract --staged`: the manifest of the git index. With --write the result
 * goes to the working tree and into the index (`git add`), so it is part of
 * the commit being made; partially staged files count as staged. A cache
 * keyed by the staged inputs makes a run with no relevant change return
 * before ts-morph is loaded.
 */
export async function runStaged(root: string, flags: StagedFlags): Promise<number> {
  absolutizeGitEnv();
  const { top, prefix } = locateInRepo(root);
  const entries = listIndex(top);
  const configRel = flags.config
    ? repoRelative(top, path.resolve(flags.config), 'config file')
    : posixJoin(prefix, CONFIG_FILE);
  const label = (rel: string) =>
    `(staged) ${path.relative(process.cwd(), path.join(top, rel)).split(path.sep).join('/') || rel}`;
  const shown = (rel: string) => path.relative(process.cwd(), path.join(top, rel)) || rel;
  const cacheFile = stagedCacheFile(root, flags.config);
  const useCache = flags.cache !== false && !!(flags.write || flags.check);

  if (useCache) {
    const hit = readStagedEntry(cacheFile);
    if (hit) {
      const key = stagedKey({ version: VERSION, prefix, configRel, manifestRel: hit.manifestRel, entries });
      const staged = entries.get(hit.manifestRel);
      if (
        key === hit.key &&
        staged &&
        staged.type === 'blob' &&
        staged.mode !== '120000' &&
        staged.oid === hit.manifestOid
      ) {
        if (flags.check) {
          note(
            `policydrift: ${label(hit.manifestRel)} is up to date (version ${hit.manifestVersion}; cached: no relevant staged change)\n`,
          );
          return EXIT.pass;
        }
        const abs = path.join(top, hit.manifestRel);
        let wt: Buffer | null;
        try {
          wt = fs.readFileSync(abs);
        } catch {
          wt = null;
        }
        if (wt && blobOid(wt, staged.oid) === staged.oid) {
          note(
            `policydrift: ${shown(hit.manifestRel)} unchanged (version ${hit.manifestVersion}; cached: no relevant staged change)\n`,
          );
          return EXIT.pass;
        }
      }
    }
  }

  const [{ canonicalJson, differingEntries }, { extractFromTree }] = await Promise.all([
    import('../manifest/index.js'),
    import('./from-tree.js'),
  ]);
  const tree = readIndexTree(top, { subdir: prefix, entries });
  const { manifest, manifestRel, manifestText, committed } = extractFromTree(
    tree,
    top,
    prefix,
    {
      fileLabel: label,
      label: `(staged) ${prefix || '.'}`,
      missingConfig: () =>
        new UserError(`${flags.config}: config file is not staged`, {
          hint: `\`git add ${flags.config}\` (with --staged the config is read from the index)`,
        }),
    },
    flags.config ? { configRel } : {},
  );
  const stagedEntry = entries.get(manifestRel);
  const stagedText = stagedEntry && stagedEntry.type === 'blob' ? manifestText : null;
  const text = canonicalJson(manifest);
  const oid = blobOid(text, [...entries.values()][0]?.oid ?? '');
  const remember = () => {
    if (!useCache) return;
    const key = stagedKey({ version: VERSION, prefix, configRel, manifestRel, entries });
    writeStagedEntry(cacheFile, { key, manifestRel, manifestOid: oid, manifestVersion: manifest.manifestVersion });
  };

  if (flags.check) {
    if (stagedText === null) {
      process.stderr.write(
        `policydrift: ${label(manifestRel)} is not staged\n  hint: run \`policydrift extract --write --staged\`\n`,
      );
      return EXIT.policy;
    }
    if (stagedText === text) {
      remember();
      note(`policydrift: ${label(manifestRel)} is up to date (version ${manifest.manifestVersion})\n`);
      return EXIT.pass;
    }
    reportStale(label(manifestRel), differingEntries(committed!, manifest), 'policydrift extract --write --staged');
    return EXIT.policy;
  }
  if (flags.write) {
    const abs = path.join(top, manifestRel);
    const current = fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : null;
    if (current !== text) writeFileAtomic(abs, text);
    if (stagedEntry?.oid !== oid) {
      const r = runGit(top, ['add', '--', `:(literal)${manifestRel}`]);
      if (r.status !== 0) {
        throw new UserError(`cannot stage ${manifestRel}: ${r.stderr.trim().split('\n')[0]}`, {
          hint: 'check that the manifest path is not git-ignored',
        });
      }
    }
    remember();
    if (stagedText === text) {
      note(`policydrift: ${shown(manifestRel)} unchanged (version ${manifest.manifestVersion})\n`);
    } else {
      note(`policydrift: ${shown(manifestRel)} ${describeUpdate(committed, manifest)} and staged\n`);
    }
    return EXIT.pass;
  }
  if (flags.out) writeFileAtomic(path.resolve(flags.out), text);
  else process.stdout.write(text);
  return EXIT.pass;
}
