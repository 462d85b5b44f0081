import * as path from 'node:path';
import type { Command } from 'commander';
import type { CheckResult } from '../check/index.js';
import { EXIT } from '../errors.js';
import { resolveRoot } from './extract.js';
import { useColor } from './diff.js';
import { note } from '../util/progress.js';
import { uncommittedChangeSets, uncommittedFiles } from '../justify/worktree-status.js';
import { formatOption, rootOption } from './options.js';

const CHECK_FORMATS = ['text', 'json', 'markdown', 'sarif', 'github'] as const;
type CheckFormat = (typeof CHECK_FORMATS)[number];

interface CheckFlags {
  root?: string;
  against: string;
  candidate: string;
  registryRef?: string;
  format: string;
  strict?: boolean;
}

/**
 * Line and column for SARIF/GitHub, resolved at report time from the candidate commit's files (the manifest
 * holds no positions); null when there is no checkout to read (then results are file-level).
 */
async function candidatePositions(r: CheckResult, root: string | undefined) {
  if (!root || !r.candidate?.commit) return undefined;
  const { positionsAtCommit } = await import('../report/positions.js');
  return positionsAtCommit(root, r.candidate.commit);
}

export async function renderCheck(r: CheckResult, format: CheckFormat, root?: string): Promise<string> {
  const { renderCheckGithub, renderCheckJson, renderCheckMarkdown, renderCheckSarif, renderCheckText } =
    await import('../check/report.js');
  switch (format) {
    case 'github':
      return renderCheckGithub(r, await candidatePositions(r, root));
    case 'json':
      return renderCheckJson(r);
    case 'markdown':
      return renderCheckMarkdown(r);
    case 'sarif':
      return renderCheckSarif(r, await candidatePositions(r, root));
    default:
      return renderCheckText(r, { color: useColor() });
  }
}

function checkOptions(cmd: Command): Command {
  return cmd
    .addOption(rootOption())
    .option(
      '--against <rev|registry>',
      'baseline: the last active release in the registry, or a revision compared at its merge-base with the candidate',
      'registry',
    )
    .option('--candidate <rev>', 'the commit to check', 'HEAD')
    .option('--registry-ref <rev>', 'trusted ref to read the registry from (in CI: the protected branch)');
}

export function registerCheck(program: Command, setExit: (code: number) => void): void {
  checkOptions(program.command('check'))
    .description('Fail when the candidate changes behaviour that no valid, approved OpenSpec change set justifies')
    .addOption(formatOption(CHECK_FORMATS))
    .option('--strict', 'also fail on stale or invalid declarations')
    .action(async (flags: CheckFlags) => {
      const format = flags.format as CheckFormat; // commander checked it against CHECK_FORMATS
      const root = resolveRoot(flags.root);
      const { runAnyCheck } = await import('../workspace/check.js');
      const r = runAnyCheck({
        dir: root,
        against: flags.against,
        candidate: flags.candidate,
        registryRef: flags.registryRef,
        strict: !!flags.strict,
      });
      process.stdout.write(await renderCheck(r, format, root));
      if (format === 'text' && 'workspace' in r)
        process.stdout.write(
          (await import('../workspace/check.js')).renderWorkspaceSummary(
            r as import('../workspace/check.js').WorkspaceCheckResult,
          ),
        );
      if (flags.candidate === 'HEAD') noteUncommittedChangeSets(root);
      setExit(r.ok ? EXIT.pass : EXIT.policy);
    });

  checkOptions(program.command('justify <change-id>'))
    .description(
      'Write (or update) the policydrift: block of an OpenSpec change set from the unjustified changes of the committed candidate; creates the change set when missing',
    )
    .action(async (id: string, flags: CheckFlags) => {
      const { justify } = await import('../justify/index.js');
      const r = justify({
        root: resolveRoot(flags.root),
        id,
        against: flags.against,
        candidate: flags.candidate,
        registryRef: flags.registryRef,
      });
      if (r.action === 'nothing') {
        process.stderr.write(
          `policydrift: nothing to justify: ${r.candidate} has no unjustified change since ${r.baselineRef} (manifest v${r.from}→v${r.to}); no change set created\n`,
        );
      } else {
        const rel = path.relative(process.cwd(), r.dir) || '.';
        process.stderr.write(
          `policydrift: ${r.action} ${rel} declaring ${r.declared} change${r.declared === 1 ? '' : 's'} (manifest v${r.from}→v${r.to})\n` +
            `  next: describe the change in proposal.md and specs/, commit, then an approver runs \`policydrift approve ${id} --key <ssh key>\`\n`,
        );
      }
      setExit(EXIT.pass);
    });

  program
    .command('approve <change-id>')
    .description(
      "Approve a change set: sign its digest with an SSH key (namespace 'policydrift') and append the approval",
    )
    .addOption(rootOption())
    .option('--key <file>', 'SSH private key (or its .pub with ssh-agent); omit only in "listed" mode')
    .option('--as <identity>', 'approver identity as in the allowed signers file (default: git config user.email)')
    .action(async (id: string, flags: { root?: string; key?: string; as?: string }) => {
      const { approveChangeSet } = await import('../justify/index.js');
      const root = resolveRoot(flags.root);
      const { setDir, identity, entry } = approveChangeSet({ root, id, key: flags.key ?? null, as: flags.as });
      const replaced = entry.replaced
        ? `; it replaces your earlier approval of the same content (${entry.replaced})`
        : '';
      process.stderr.write(
        `policydrift: approved ${id} as ${identity} (digest ${entry.digest.slice(0, 19)}…)${entry.signature ? ', signed' : ', unsigned (listed mode)'}${replaced}\n  commit ${path.relative(process.cwd(), path.join(setDir, 'approvals.yaml'))}\n`,
      );
      setExit(EXIT.pass);
    });

  program
    .command('approvals <change-id>')
    .description(
      'Show who approved a change set and whether each approval is still valid (judged with the working tree config; `check` uses the baseline)',
    )
    .addOption(rootOption())
    .action(async (id: string, flags: { root?: string }) => {
      const { approvalStatus } = await import('../justify/index.js');
      const ev = approvalStatus(resolveRoot(flags.root), id);
      const out = [
        `${id}: ${ev.approved ? 'APPROVED' : 'NOT approved'} (${ev.valid.length}/${ev.required} in ${ev.mode} mode; digest ${ev.digest})`,
      ];
      for (const v of ev.valid) out.push(`  ✓ ${v.identity}`);
      for (const v of ev.invalid) out.push(`  ✗ ${v.identity}: ${v.reason}`);
      if (ev.reason) out.push(`  ${ev.reason}`);
      if (ev.mode === 'listed') out.push('  note: listed mode — approver names are not cryptographically verified');
      process.stdout.write(out.join('\n') + '\n');
      setExit(ev.approved ? EXIT.pass : EXIT.policy);
    });
}

/** check reads commits: say so when a change set exists (or was edited) only in the working tree. */
function noteUncommittedChangeSets(root: string): void {
  for (const [id, { untracked }] of uncommittedChangeSets(uncommittedFiles(root))) {
    note(
      `policydrift: note: openspec/changes/${id} ${untracked ? 'exists only in the working tree (untracked)' : 'has uncommitted changes'}; check reads the committed HEAD\n  hint: commit it (git add openspec/changes/${id} && git commit) and run check again\n`,
    );
  }
}
