import * as path from 'node:path';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { extractManifest } from './index.js';
import { parseManifestText } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { UserError } from '../errors.js';
import { repoRel } from '../git/files.js';
import { GitTreeFileSystemHost } from '../git/fs-host.js';
import { assertSafeRev, repoPrefix, repoRoot } from '../git/run.js';
import { readGitTree } from '../git/tree.js';

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

  const cfgRel = join(sub, repoRel(opts.configPath ?? CONFIG_FILE, 'config path'));
  const cfgBuf = tree.readFile(cfgRel);
  if (!cfgBuf && opts.configPath !== undefined) {
    throw new UserError(`no ${cfgRel} at ${rev}`, {
      hint: 'check --config: it is read from the commit, relative to the project root',
    });
  }
  const configText = cfgBuf ? cfgBuf.toString('utf8') : null;
  const config = configText !== null ? parseConfigText(configText, `${rev}:${cfgRel}`) : defaultConfig();

  const rootAbs = sub ? path.posix.join(toPosix(top), sub) : toPosix(top);
  const host = new GitTreeFileSystemHost(tree, { cwd: rootAbs });
  const tsRel = join(sub, repoRel(config.tsconfig, 'tsconfig path'));
  if (!host.fileExistsSync(path.posix.join(rootAbs, config.tsconfig))) {
    throw new UserError(`no ${config.tsconfig} at ${rev}:${tsRel}`, {
      hint: sub
        ? `the project root inside the repository is "${sub}"; pass the right --root, or check that the commit has the project`
        : 'run from the project directory (or pass --root), or set "tsconfig" in policydrift.config.json',
    });
  }

  let previous = opts.previous;
  if (previous === undefined) {
    const mRel = join(sub, repoRel(config.manifest, 'manifest path'));
    const mBuf = host.readBytes(path.posix.join(rootAbs, config.manifest));
    previous = mBuf ? parseManifestText(mBuf.toString('utf8'), `${rev}:${mRel}`, { acceptOlder: true }) : null;
  }
  const manifest = extractManifest({
    root: rootAbs,
    config,
    fileSystem: host,
    label: `${/^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev}:${sub || '.'}`,
    previous,
  });
  return { manifest, commit: tree.commit, configText, config, root: sub };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

export { readFileAtRef } from '../git/files.js';
