import * as path from 'node:path';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { extractManifest } from './index.js';
import { parseManifestText } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { UserError } from '../errors.js';
import { repoRel } from '../git/files.js';
import { GitTreeFileSystemHost } from '../git/fs-host.js';
import { assertSafeRev, repoPrefix, repoRoot } from '../git/run.js';
import { readGitTree, type GitTree } from '../git/tree.js';

export interface ExtractAtRefOptions {
  /** Any directory inside the repository. */
  repoDir: string;
  /** Branch, tag or sha to extract (checked with assertSafeRev). */
  rev: string;
  /** Project directory relative to the repository root; default: the position of `repoDir` within the repository. */
  root?: string;
  /** Config file relative to the project root, read from the commit; default policydrift.config.json when the commit has one. */
  configPath?: string;
  /**
   * Manifest for the version bump. Default: the manifest committed at that
   * commit (config "manifest"), exactly as `policydrift extract` in a checkout does.
   */
  previous?: Manifest | null;
}

export interface ExtractAtRefResult {
  manifest: Manifest;
  /** Full sha of the extracted commit. */
  commit: string;
  /** The config file's text at that commit, or null when the defaults were used. */
  configText: string | null;
  /** The resolved config of that commit. */
  config: ResolvedConfig;
  /** The project directory relative to the repository root ('' = top). */
  root: string;
}

const join = (...parts: string[]) => path.posix.join(...parts.filter((x) => x !== ''));

/** Where a tree comes from, for messages and labels: a commit (`main:`) or the git index (`(staged)`). */
export interface TreeSource {
  /** `<where>:<path>` for a file of the tree, in messages. */
  fileLabel(rel: string): string;
  /** The label of the extraction (progress, errors): e.g. `1a2b3c4d5e6f:.` or `(staged) .`. */
  label: string;
  /** The error when an explicitly named config file is not in the tree. */
  missingConfig(rel: string): UserError;
}

export interface TreeExtraction {
  manifest: Manifest;
  /** The config file's text in the tree, or null when the defaults were used. */
  configText: string | null;
  config: ResolvedConfig;
  /** The manifest file (config "manifest") relative to the repository root, and its text in the tree. */
  manifestRel: string;
  manifestText: string | null;
  /** The manifest in the tree, parsed (older schema versions accepted), or null. */
  committed: Manifest | null;
}

/**
 * The one extraction from a git tree (a commit's, or the index's): the tree's config and tsconfig, its files
 * through a read-only ts-morph file system, node_modules from the working tree, the version bump against the
 * manifest the tree holds (unless `previous` is given). `extract --ref`, `git:` operands, the gates and
 * `extract --staged` all come through here.
 */
export function extractFromTree(
  tree: GitTree,
  top: string,
  sub: string,
  source: TreeSource,
  opts: {
    /** Config file relative to the project root; default policydrift.config.json when the tree has one. */
    configPath?: string;
    /** Or: the config file relative to the repository root (already checked), e.g. outside the project. */
    configRel?: string;
    previous?: Manifest | null;
  } = {},
): TreeExtraction {
  const explicit = opts.configRel !== undefined || opts.configPath !== undefined;
  const cfgRel = opts.configRel ?? join(sub, repoRel(opts.configPath ?? CONFIG_FILE, 'config path'));
  const cfgBuf = tree.readFile(cfgRel);
  if (!cfgBuf && explicit) throw source.missingConfig(cfgRel);
  const configText = cfgBuf ? cfgBuf.toString('utf8') : null;
  const config = configText !== null ? parseConfigText(configText, source.fileLabel(cfgRel)) : defaultConfig();

  const rootAbs = sub ? path.posix.join(toPosix(top), sub) : toPosix(top);
  const host = new GitTreeFileSystemHost(tree, { cwd: rootAbs });
  const tsRel = join(sub, repoRel(config.tsconfig, 'tsconfig path'));
  if (!host.fileExistsSync(path.posix.join(rootAbs, config.tsconfig))) {
    throw new UserError(`no ${config.tsconfig} at ${source.fileLabel(tsRel)}`, {
      hint: sub
        ? `the project root inside the repository is "${sub}"; pass the right --root, or check that the commit has the project`
        : 'run from the project directory (or pass --root), or set "tsconfig" in policydrift.config.json',
    });
  }

  const manifestRel = join(sub, repoRel(config.manifest, 'manifest path'));
  const mBuf = tree.readFile(manifestRel);
  const manifestText = mBuf ? mBuf.toString('utf8') : null;
  const committed =
    manifestText !== null
      ? parseManifestText(manifestText, source.fileLabel(manifestRel), { acceptOlder: true })
      : null;
  const manifest = extractManifest({
    root: rootAbs,
    config,
    fileSystem: host,
    label: source.label,
    previous: opts.previous !== undefined ? opts.previous : committed,
  });
  return { manifest, configText, config, manifestRel, manifestText, committed };
}

/**
 * Extract the manifest of a commit without checking it out: the commit's
 * tsconfig and policydrift.config.json, its files from the object database,
 * node_modules read-only from the working tree. The result is byte-identical
 * (canonicalJson) to `extract` run in a fresh checkout of that commit.
 */
export function extractAtRef(opts: ExtractAtRefOptions): ExtractAtRefResult {
  assertSafeRev(opts.rev);
  const top = repoRoot(opts.repoDir);
  const sub = opts.root !== undefined ? repoRel(opts.root, 'project root') : repoPrefix(opts.repoDir);
  const tree = readGitTree(top, opts.rev, { subdir: sub });
  const rev = opts.rev;
  const r = extractFromTree(
    tree,
    top,
    sub,
    {
      fileLabel: (rel) => `${rev}:${rel}`,
      label: `${/^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev}:${sub || '.'}`,
      missingConfig: (rel) =>
        new UserError(`no ${rel} at ${rev}`, {
          hint: 'check --config: it is read from the commit, relative to the project root',
        }),
    },
    { ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}), previous: opts.previous },
  );
  return { manifest: r.manifest, commit: tree.commit, configText: r.configText, config: r.config, root: sub };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

export { readFileAtRef } from '../git/files.js';
