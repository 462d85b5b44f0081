/**
 * A release at a workspace root: one registry event for every package. The
 * event's manifestVersion and manifestDigest are the workspace index's
 * (workspaceVersion, index digest) and its `packages` map records each
 * package's manifest version and digest. The artifact ships the index and
 * every package's manifest; the release-build scan reads the union of the
 * packages' invariants.
 */
import * as path from 'node:path';
import { CONFIG_FILE, defaultConfig, parseConfigText, type ResolvedConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { extractAtRef, readFileAtRef } from '../extract/from-tree.js';
import { buildManifest, canonicalJson } from '../manifest/index.js';
import { emptyInvariants, type Manifest, type ManifestInvariants } from '../manifest/types.js';
import { buildIndex, indexEntry, parseIndexText, type IndexEntry, type WorkspaceIndex } from './index.js';
import { workspaceAtCommit } from './check.js';

export interface WorkspaceHead {
  commit: string;
  root: string;
  config: ResolvedConfig;
  configText: string | null;
  /** The union of the packages' invariants, with the index's version and digest (what the event records). */
  manifest: Manifest;
  index: WorkspaceIndex;
  /** For the registry event. */
  packages: Record<string, { manifestVersion: number; manifestDigest: string }>;
  /** Files for the artifact: the index and each package's manifest. */
  files: Array<{ path: string; data: Buffer }>;
}

const join = (...parts: string[]) => path.posix.join(...parts.filter((p) => p !== ''));

function merge(into: ManifestInvariants, m: ManifestInvariants): void {
  Object.assign(into.le.handlers, m.le.handlers);
  Object.assign(into.logging.schemas, m.logging.schemas);
  Object.assign(into.keygate.guards, m.keygate.guards);
  Object.assign(into.keygate.sinks, m.keygate.sinks);
  Object.assign(into.keygate.sites, m.keygate.sites);
  Object.assign(into.keygate.escapes, m.keygate.escapes);
  Object.assign(into.privacy.invariants, m.privacy.invariants);
}

/** Every covered package extracted at `commit`, and the workspace index they give. */
export function workspaceHead(repo: string, commit: string, sub: string, ref: string): WorkspaceHead {
  const ws = workspaceAtCommit(repo, commit, sub, ref);
  if (!ws || ws.packages.length === 0)
    throw new UserError(`${ref}: ${sub || '.'} is not a workspace root with covered packages`, {
      hint: 'see docs/monorepo.md',
    });
  const cfgRel = join(sub, CONFIG_FILE);
  const configText = readFileAtRef(repo, commit, cfgRel);
  const config = configText === null ? defaultConfig() : parseConfigText(configText, `${ref}:${cfgRel}`);
  const entries: Record<string, IndexEntry> = {};
  const packages: WorkspaceHead['packages'] = {};
  const files: WorkspaceHead['files'] = [];
  const union = emptyInvariants();
  for (const pkg of ws.packages) {
    const r = extractAtRef({ repoDir: repo, rev: commit, root: join(sub, pkg.dir) });
    entries[pkg.name] = indexEntry(pkg, r.config.manifest, r.manifest);
    packages[pkg.name] = { manifestVersion: r.manifest.manifestVersion, manifestDigest: r.manifest.digest };
    files.push({
      path: join('manifests', pkg.dir, 'invariants.manifest.json'),
      data: Buffer.from(canonicalJson(r.manifest)),
    });
    merge(union, r.manifest.invariants);
  }
  const indexRel = join(sub, ws.indexPath);
  const committed = readFileAtRef(repo, commit, indexRel);
  let previous: WorkspaceIndex | null = null;
  if (committed !== null) previous = parseIndexText(committed, `${ref}:${indexRel}`);
  const index = buildIndex(entries, previous);
  files.unshift({ path: 'invariants.workspace.json', data: Buffer.from(canonicalJson(index)) });
  const merged = buildManifest(union, {}, null);
  return {
    commit,
    root: sub,
    config,
    configText,
    manifest: { ...merged, manifestVersion: index.workspaceVersion, digest: index.digest },
    index,
    packages,
    files,
  };
}
