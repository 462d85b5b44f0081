import type { Command } from 'commander';
import { note } from '../util/progress.js';
import { EXIT } from '../errors.js';
import { resolveRoot } from './extract.js';
import type { ReleaseResult } from '../release/index.js';
import { formatOption, rootOption } from './options.js';

interface ReleaseFlags {
  root?: string;
  profile: string;
  version?: string;
  candidate?: string;
  registryRef?: string;
  signingKey?: string;
  dryRun?: boolean;
  recover?: boolean;
  format: string;
}

const MARK: Record<string, string> = { passed: '✓', failed: '✗', skipped: '-' };

export function renderReleaseText(r: ReleaseResult): string {
  const out: string[] = [];
  const head = r.ok
    ? r.dryRun
      ? `policydrift release: DRY RUN PASSED for ${r.version} (${r.commit.slice(0, 12)}) — nothing published`
      : `policydrift release: RELEASED ${r.version} (${r.commit.slice(0, 12)})`
    : `policydrift release: FAILED at step "${r.failedStep}" — no artifact published, nothing appended to the registry`;
  out.push(head);
  if (r.bootstrap)
    out.push(
      '',
      '  *** BOOTSTRAP: the registry has no active release; this run records the baseline without a drift check ***',
    );
  out.push('');
  for (const s of r.steps) {
    out.push(`  ${MARK[s.status]} ${s.step.padEnd(12)} ${s.summary}`);
    if (s.status !== 'passed' || s.step === 'check') for (const d of s.details) out.push(`      ${d}`);
  }
  if (r.artifact)
    out.push(
      '',
      r.dryRun
        ? `  artifact (dry run, not kept): ${r.artifact.path.split('/').pop()} (sha256 ${r.artifact.sha256})`
        : `  artifact: ${r.artifact.path} (sha256 ${r.artifact.sha256})`,
    );
  for (const rec of r.recovered) out.push(`  recovered: ${rec}`);
  return out.join('\n') + '\n';
}

export function registerRelease(program: Command, setExit: (code: number) => void): void {
  program
    .command('release')
    .description(
      'The release gate: openspec validate --all --strict, the drift check against the last active release, and verify-build; only if all pass, publish a deterministic artifact and append a release event to the registry',
    )
    .requiredOption('--profile <name>', 'release profile from the config ("profiles")')
    .addOption(rootOption())
    .option('--version <version>', 'release version (default: package.json version, else m<manifestVersion>-<sha>)')
    .option('--candidate <rev>', 'commit to release', 'HEAD')
    .option(
      '--registry-ref <rev>',
      'trusted ref to read the registry baseline, bootstrap decision, revocations and release signers from (the protected branch); without it, HEAD must be on the release branch (config "releaseBranch")',
    )
    .option(
      '--signing-key <file>',
      'private SSH key that signs the registry event; its public key must be in the release signers file (default: $POLICYDRIFT_SIGNING_KEY)',
    )
    .option('--dry-run', 'run every gate and build the artifact, but publish nothing and append nothing')
    .addOption(formatOption(['text', 'json']))
    .action(async (flags: ReleaseFlags) => {
      const { runRelease } = await import('../release/index.js');
      const dir = resolveRoot(flags.root);
      const r = await runRelease({
        dir,
        profile: flags.profile,
        version: flags.version,
        candidate: flags.candidate,
        registryRef: flags.registryRef,
        signingKey: flags.signingKey,
        dryRun: flags.dryRun,
        log: flags.format === 'text' ? (l) => note(`policydrift: ${l}\n`) : undefined,
      });
      if (flags.format === 'json') {
        const { canonicalJson } = await import('../manifest/index.js');
        process.stdout.write(
          canonicalJson({
            ...r,
            check: r.check ? { ok: r.check.ok, unjustified: r.check.unjustified.map((u) => u.change) } : null,
          }),
        );
      } else process.stdout.write(renderReleaseText(r));
      setExit(r.ok ? EXIT.pass : EXIT.policy);
    });
}
