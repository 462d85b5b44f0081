import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProfileConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { parseManifestText } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { compareOutputs, digestOutputs, type OutputComparison, type OutputDigest, type OutputFile } from './digest.js';
import { buildProvenance, type ProvenanceStatement } from './provenance.js';
import { BuildFailedError, runProfileBuild } from './run.js';
import { scanOutputs, sortFindings, type Finding } from './scan.js';
import { commitTime, isDirty, repoInfo, resolveCommit, withWorktree, type RepoInfo } from './worktree.js';
import { stripBom } from '../util/jsonpos.js';

export type { Finding, Severity } from './scan.js';

export interface VerifyBuildOptions {
  /** The project root in the user's repository (where policydrift.config.json is); may be a subdirectory of the repository. */
  repoDir: string;
  /** Candidate revision (branch, tag, sha). */
  commit: string;
  profileName: string;
  profile: ProfileConfig;
  /** The manifest at the candidate commit: its sites and handlers drive the scan. */
  manifest: Manifest;
  /** The digest the artifact's shipped manifest must carry. */
  manifestDigestAtCommit: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
  /** Kill a build/install step after this long. */
  timeoutMs?: number;
}

export interface VerifyBuildResult {
  /** No finding of severity "error". */
  ok: boolean;
  findings: Finding[];
  /** Full sha of the commit that was built. */
  commit: string;
  /** Output files (paths relative to outDir), sorted. Empty when the build failed. */
  outputs: OutputFile[];
  outputsDigest: string | null;
  /** A temp dir holding a copy of the build output (for the release step to package; the caller removes it). Null when the build failed. */
  outDirCopy: string | null;
  /** In-toto statement for the outputs; null when the build failed. */
  provenance: ProvenanceStatement | null;
  /** The user's working tree has uncommitted changes or untracked files (it was not used). */
  dirty: boolean;
  /** The artifact carries a policydrift manifest (`*.manifest.json`) itself. */
  shipsManifest: boolean;
  /** The second build's comparison when the profile is reproducible. */
  reproducibility: OutputComparison | null;
  /** node_modules directories borrowed from the user's tree (see run.ts). */
  linkedNodeModules: string[];
}

interface OneBuild {
  digest: OutputDigest;
  findings: Finding[];
  outDirCopy: string | null;
  lockfile: Buffer | null;
  shipsManifest: boolean;
  linkedNodeModules: string[];
}

/** The profile's outDir as a normalized POSIX path inside the project; anything escaping it is refused. */
export function normalizeOutDir(outDir: string): string {
  const norm = path.posix.normalize(outDir.split('\\').join('/')).replace(/\/+$/, '');
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || norm === '.' || norm === '') {
    throw new UserError(`profile outDir "${outDir}" must be a directory inside the project`, {
      hint: 'use a relative path such as "dist"',
    });
  }
  return norm;
}

/**
 * Build the candidate commit with a release profile in isolated worktrees and
 * verify the output: forbidden identifiers/strings, gated sites and LE
 * handlers still intact where names survive, the shipped manifest's digest,
 * and (reproducible profiles) byte-identical output from a second build.
 */
export async function verifyBuild(o: VerifyBuildOptions): Promise<VerifyBuildResult> {
  const log = o.log ?? (() => {});
  const outDir = normalizeOutDir(o.profile.outDir);
  const info = repoInfo(o.repoDir);
  const sha = resolveCommit(o.repoDir, o.commit);
  const epoch = commitTime(o.repoDir, sha);
  const dirty = isDirty(o.repoDir);

  const findings: Finding[] = [];
  const failed = (reason: Finding[]): VerifyBuildResult => ({
    ok: false,
    findings: sortFindings([...findings, ...reason]),
    commit: sha,
    outputs: [],
    outputsDigest: null,
    outDirCopy: null,
    provenance: null,
    dirty,
    shipsManifest: false,
    reproducibility: null,
    linkedNodeModules: [],
  });

  log(`building ${sha.slice(0, 12)} with profile "${o.profileName}" in a temporary worktree`);
  const first = await buildOnce(o, info, sha, epoch, outDir, true);
  if ('failure' in first) return failed([first.failure]);
  findings.push(...first.findings);

  let reproducibility: OutputComparison | null = null;
  if (o.profile.reproducible) {
    log('reproducible profile: building again in a second fresh worktree');
    const second = await buildOnce(o, info, sha, epoch, outDir, false);
    if ('failure' in second) {
      if (first.outDirCopy) fs.rmSync(first.outDirCopy, { recursive: true, force: true });
      return failed([
        { ...second.failure, message: `second build (reproducibility check): ${second.failure.message}` },
      ]);
    }
    reproducibility = compareOutputs(first.digest, second.digest);
    const at = (p: string) => `${outDir}/${p}`;
    for (const p of reproducibility.differing) {
      findings.push({
        rule: 'not-reproducible',
        severity: 'error',
        message: 'content differs between two builds of the same commit',
        file: at(p),
      });
    }
    for (const p of reproducibility.onlyInFirst) {
      findings.push({
        rule: 'not-reproducible',
        severity: 'error',
        message: 'produced by the first build only',
        file: at(p),
      });
    }
    for (const p of reproducibility.onlyInSecond) {
      findings.push({
        rule: 'not-reproducible',
        severity: 'error',
        message: 'produced by the second build only',
        file: at(p),
      });
    }
  }

  const provenance = buildProvenance({
    commit: sha,
    manifestVersion: o.manifest.manifestVersion,
    manifestDigest: o.manifestDigestAtCommit,
    lockfile: first.lockfile,
    profileName: o.profileName,
    profile: o.profile,
    sourceDateEpoch: epoch,
    outputs: first.digest.files,
    outputsDigest: first.digest.digest,
    reproducible: reproducibility?.identical ?? false,
  });
  const sorted = sortFindings(findings);
  return {
    ok: !sorted.some((f) => f.severity === 'error'),
    findings: sorted,
    commit: sha,
    outputs: first.digest.files,
    outputsDigest: first.digest.digest,
    outDirCopy: first.outDirCopy,
    provenance,
    dirty,
    shipsManifest: first.shipsManifest,
    reproducibility,
    linkedNodeModules: first.linkedNodeModules,
  };
}

async function buildOnce(
  o: VerifyBuildOptions,
  info: RepoInfo,
  sha: string,
  epoch: number,
  outDir: string,
  full: boolean,
): Promise<OneBuild | { failure: Finding }> {
  return withWorktree(info.toplevel, sha, async (wt) => {
    const projectDir = info.prefix ? path.join(wt.dir, ...info.prefix.split('/')) : wt.dir;
    let linkedNodeModules: string[];
    try {
      ({ linkedNodeModules } = await runProfileBuild({
        worktree: wt,
        projectDir,
        userProjectDir: path.resolve(o.repoDir),
        userToplevel: info.toplevel,
        profile: o.profile,
        sourceDateEpoch: epoch,
        timeoutMs: o.timeoutMs,
      }));
    } catch (e) {
      if (e instanceof BuildFailedError) {
        return {
          failure: {
            rule: 'build-failed',
            severity: 'error',
            message: e.message + (e.hint ? `\n  hint: ${e.hint}` : ''),
          },
        };
      }
      throw e;
    }
    const absOut = path.join(projectDir, ...outDir.split('/'));
    const st = fs.lstatSync(absOut, { throwIfNoEntry: false });
    if (!st || !st.isDirectory()) {
      return {
        failure: {
          rule: 'no-output',
          severity: 'error',
          message: `the build succeeded but produced no directory "${outDir}" (profile outDir)`,
        },
      };
    }
    const digest = digestOutputs(absOut);
    if (!full)
      return { digest, findings: [], outDirCopy: null, lockfile: null, shipsManifest: false, linkedNodeModules };

    const findings: Finding[] = [];
    if (!digest.files.length)
      findings.push({ rule: 'no-output', severity: 'error', message: `the build produced an empty "${outDir}"` });
    for (const s of digest.symlinks) {
      findings.push({
        rule: 'output-symlink',
        severity: 'warning',
        message: 'the output contains a symlink (recorded by its link text, not followed)',
        file: `${outDir}/${s}`,
      });
    }
    findings.push(
      ...scanOutputs({
        outDir: absOut,
        label: outDir,
        files: digest.files.map((f) => f.path),
        forbiddenIdentifiers: o.profile.forbiddenIdentifiers ?? [],
        forbiddenStrings: o.profile.forbiddenStrings ?? [],
        manifest: o.manifest,
      }),
    );
    const shipped = checkShippedManifests(absOut, outDir, digest.files, o.manifestDigestAtCommit);
    findings.push(...shipped.findings);

    const outDirCopy = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'policydrift-output-'));
    fs.cpSync(absOut, outDirCopy, { recursive: true, verbatimSymlinks: true });
    return {
      digest,
      findings,
      outDirCopy,
      lockfile: readLockfile(projectDir, wt.dir),
      shipsManifest: shipped.ships,
      linkedNodeModules,
    };
  });
}

/** package-lock.json of the project at the commit, else of the repository top level. */
function readLockfile(projectDir: string, toplevel: string): Buffer | null {
  for (const dir of [projectDir, toplevel]) {
    const f = path.join(dir, 'package-lock.json');
    if (fs.existsSync(f)) return fs.readFileSync(f);
  }
  return null;
}

/**
 * A policydrift manifest shipped in the artifact (`invariants.manifest.json`
 * or any `*.manifest.json` holding `invariants` and `digest`) must carry the
 * digest of the manifest at the candidate commit. Shipping none is not a
 * failure here (the release step adds it), only a note.
 */
function checkShippedManifests(
  absOut: string,
  outDir: string,
  files: OutputFile[],
  expected: string,
): { ships: boolean; findings: Finding[] } {
  const findings: Finding[] = [];
  let ships = false;
  for (const f of files) {
    const base = f.path.slice(f.path.lastIndexOf('/') + 1);
    if (!base.endsWith('.manifest.json')) continue;
    const label = `${outDir}/${f.path}`;
    const abs = path.join(absOut, ...f.path.split('/'));
    if (!fs.lstatSync(abs).isFile()) continue;
    const text = fs.readFileSync(abs, 'utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(stripBom(text));
    } catch {
      raw = undefined;
    }
    const looksOurs =
      base === 'invariants.manifest.json' ||
      (typeof raw === 'object' && raw !== null && 'invariants' in raw && 'digest' in raw);
    if (!looksOurs) continue;
    ships = true;
    let digest: string;
    try {
      digest = parseManifestText(text, label).digest;
    } catch (e) {
      const msg = e instanceof UserError ? e.message : String(e);
      findings.push({
        rule: 'manifest-invalid',
        severity: 'error',
        message: `shipped manifest is not a valid policydrift manifest: ${msg}`,
        file: label,
      });
      continue;
    }
    if (digest !== expected) {
      findings.push({
        rule: 'manifest-mismatch',
        severity: 'error',
        message: `shipped manifest digest ${digest} differs from the manifest at the candidate commit (${expected})`,
        file: label,
      });
    }
  }
  if (!ships) {
    findings.push({
      rule: 'manifest-not-shipped',
      severity: 'note',
      message: `the artifact ships no manifest (no *.manifest.json in "${outDir}"); the release step adds it`,
    });
  }
  return { ships, findings };
}
