import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { note } from '../util/progress.js';
import { EXIT, UserError } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Finding, VerifyBuildResult } from '../build/verify.js';
import { fileAtCommit, removeAllWorktrees, repoInfo, resolveCommit } from '../build/worktree.js';
import { resolveRoot } from './extract.js';
import { formatOption, rootOption } from './options.js';

/** The config, manifest, build and scan modules (JSON Schema validation, the JavaScript parser), loaded when the command runs. */
type Loaded = typeof import('../config/index.js') &
  typeof import('../manifest/index.js') &
  typeof import('../build/provenance.js') &
  typeof import('../build/verify.js');
let loaded: Loaded | undefined;
async function load(): Promise<Loaded> {
  const [config, manifest, provenance, verify] = await Promise.all([
    import('../config/index.js'),
    import('../manifest/index.js'),
    import('../build/provenance.js'),
    import('../build/verify.js'),
  ]);
  loaded = { ...config, ...manifest, ...provenance, ...verify };
  return loaded;
}
function mods(): Loaded {
  if (!loaded) throw new Error('the verify-build modules are not loaded');
  return loaded;
}

export interface VerifyBuildFlags {
  profile: string;
  candidate: string;
  root?: string;
  config?: string;
  format: string;
  provenance?: string;
}

export function registerVerifyBuild(program: Command, setExit: (code: number) => void): void {
  program
    .command('verify-build')
    .description(
      'Build the candidate commit with a release profile in a fresh worktree and verify the output (forbidden markers, guards, LE variants, shipped manifest, reproducibility)',
    )
    .requiredOption('--profile <name>', 'build profile from the config ("profiles")')
    .option('--candidate <rev>', 'commit to build (never the working tree)', 'HEAD')
    .addOption(rootOption())
    .option('--config <file>', 'config file (default: <root>/policydrift.config.json when present)')
    .addOption(formatOption(['text', 'json']))
    .option('--provenance <file>', 'write the in-toto provenance statement (canonical JSON) to this file')
    .action(async (flags: VerifyBuildFlags) => {
      setExit(await runVerifyBuild(flags));
    });
}

/**
 * The manifest at the candidate commit: today the committed manifest file
 * (config "manifest") as stored in the commit. Kept in this one function so
 * that it can be replaced by extraction from the commit's source.
 */
export function manifestAtCommit(
  projectDir: string,
  commit: string,
  manifestPath: string,
): { manifest: Manifest; digest: string } {
  const { prefix } = repoInfo(projectDir);
  const rel = path.posix.normalize([prefix, manifestPath.split(path.sep).join('/')].filter(Boolean).join('/'));
  const label = `${rel} at ${commit.slice(0, 12)}`;
  const text = fileAtCommit(projectDir, commit, rel);
  if (text === null) {
    throw new UserError(`${label}: no manifest in the candidate commit`, {
      hint: 'run `policydrift extract --write` and commit the manifest',
    });
  }
  const manifest = mods().parseManifestText(text, label);
  return { manifest, digest: manifest.digest };
}

export async function runVerifyBuild(flags: VerifyBuildFlags): Promise<number> {
  const { loadConfig, verifyBuild, provenanceJson } = await load();
  const root = resolveRoot(flags.root);
  const config = loadConfig(root, flags.config);
  const profile = config.profiles[flags.profile];
  if (!profile) {
    const names = Object.keys(config.profiles).sort();
    throw new UserError(`unknown profile "${flags.profile}"`, {
      hint: names.length
        ? `profiles in ${config.source ?? 'the config'}: ${names.join(', ')}`
        : `no profiles are defined; add one under "profiles" in ${config.source ?? 'policydrift.config.json'}`,
    });
  }
  const commit = resolveCommit(root, flags.candidate);
  const { manifest, digest } = manifestAtCommit(root, commit, config.manifest);

  // An interrupted build must not leave a worktree registered in the user's repository.
  const onSignal = (sig: NodeJS.Signals) => {
    removeAllWorktrees();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let result: VerifyBuildResult;
  try {
    result = await verifyBuild({
      repoDir: root,
      commit,
      profileName: flags.profile,
      profile,
      manifest,
      manifestDigestAtCommit: digest,
      log: flags.format === 'text' ? (l) => note(`policydrift: ${l}\n`) : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  try {
    if (flags.provenance && result.provenance)
      writeFileAtomic(path.resolve(flags.provenance), provenanceJson(result.provenance));
    process.stdout.write(
      flags.format === 'json' ? jsonReport(flags.profile, result) : textReport(flags.profile, result),
    );
  } finally {
    if (result.outDirCopy) fs.rmSync(result.outDirCopy, { recursive: true, force: true });
  }
  if (flags.provenance && !result.provenance)
    process.stderr.write('policydrift: no provenance written: the build failed\n');
  return result.ok ? EXIT.pass : EXIT.policy;
}

function formatFinding(f: Finding): string {
  let where = f.file ?? '';
  if (f.file && f.line !== undefined) where += `:${f.line}`;
  if (f.file && f.line !== undefined && f.column !== undefined) where += `:${f.column}`;
  return `${where ? `${where}: ` : ''}${f.severity} [${f.rule}] ${f.message}`;
}

export function textReport(profileName: string, r: VerifyBuildResult): string {
  const lines: string[] = [`verify-build: profile "${profileName}" at ${r.commit}`];
  if (r.dirty)
    lines.push(
      'note: the working tree has uncommitted changes; they are NOT part of this build (the commit was built in a fresh worktree)',
    );
  if (r.linkedNodeModules.length)
    lines.push(
      `note: no install step: borrowed the working tree's ${r.linkedNodeModules.join(', ')} (declare "install" for a hermetic build)`,
    );
  for (const f of r.findings) lines.push(formatFinding(f));
  if (r.outputsDigest) lines.push(`outputs: ${r.outputs.length} file(s), ${r.outputsDigest}`);
  if (r.reproducibility)
    lines.push(`reproducible: ${r.reproducibility.identical ? 'yes (two builds identical)' : 'NO'}`);
  const count = (s: string) => r.findings.filter((f) => f.severity === s).length;
  lines.push(`result: ${r.ok ? 'PASS' : 'FAIL'} (${count('error')} error(s), ${count('warning')} warning(s))`);
  return lines.join('\n') + '\n';
}

export function jsonReport(profileName: string, r: VerifyBuildResult): string {
  return mods().canonicalJson({
    ok: r.ok,
    profile: profileName,
    commit: r.commit,
    dirty: r.dirty,
    shipsManifest: r.shipsManifest,
    findings: r.findings,
    outputs: r.outputs,
    outputsDigest: r.outputsDigest,
    reproducibility: r.reproducibility,
    linkedNodeModules: r.linkedNodeModules,
    provenance: r.provenance,
  });
}
