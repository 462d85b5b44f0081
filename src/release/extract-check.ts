import * as path from 'node:path';
import { CONFIG_FILE, parseConfigText } from '../config/index.js';
import { GENERATOR } from '../version.js';
import { stripBom } from '../util/jsonpos.js';
import { extractAtRef, readFileAtRef } from '../extract/from-tree.js';
import { repoPrefix } from '../git/run.js';
import type { DigestCheck } from '../registry/index.js';
import type { ReleaseEvent } from '../registry/types.js';
import { workspaceHead } from '../workspace/release.js';

/**
 * The generator recorded for a release: the event's own `generator`, else the
 * one in the manifest committed at the release commit. Null when neither says.
 */
export function recordedGenerator(repoDir: string, release: ReleaseEvent, root?: string): string | null {
  if (release.generator) return release.generator.version;
  const sub = root ?? repoPrefix(repoDir);
  const at = (rel: string) => (sub ? path.posix.join(sub, rel) : rel);
  const cfgText = readFileAtRef(repoDir, release.git_commit, at(CONFIG_FILE));
  const config = cfgText !== null ? parseConfigText(cfgText, `${release.git_commit}:${at(CONFIG_FILE)}`) : null;
  const text = readFileAtRef(repoDir, release.git_commit, at(config?.manifest ?? 'invariants.manifest.json'));
  if (text === null) return null;
  try {
    const v = (JSON.parse(stripBom(text)) as { generator?: { version?: unknown } }).generator?.version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * The `extract` callback of verifyRegistry for a project in a git checkout:
 * re-extracts the manifest at each release commit, but only when the running
 * policydrift is the generator recorded for that release (a different
 * generator may legitimately derive a different digest).
 */
export function extractDigestCheck(
  repoDir: string,
  opts: { root?: string; generatorVersion?: string } = {},
): (release: ReleaseEvent) => DigestCheck {
  const running = opts.generatorVersion ?? GENERATOR.version;
  return (release) => {
    const recorded = recordedGenerator(repoDir, release, opts.root);
    if (recorded === null)
      return { skip: 'no generator version recorded (neither in the event nor in a committed manifest)' };
    if (recorded !== running) return { skip: `recorded by policydrift ${recorded}, running ${running}` };
    // A workspace release records the workspace index digest (src/workspace/release.ts).
    if (release.packages)
      return {
        digest: workspaceHead(repoDir, release.git_commit, opts.root ?? repoPrefix(repoDir), release.git_commit).index
          .digest,
      };
    const r = extractAtRef({ repoDir, rev: release.git_commit, root: opts.root });
    return { digest: r.manifest.digest };
  };
}
