import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import type { CheckResult } from '../check/index.js';
import type { JustificationDecl } from '../openspec/changes.js';
import { CONFIG_FILE } from '../config/constants.js';
import { EXIT, UserError } from '../errors.js';
import { ROOT_HELP, resolveRoot } from './extract.js';
import { useColor } from './diff.js';
import { note } from '../util/progress.js';
import { relevantForJustify, uncommittedChangeSets, uncommittedFiles } from './worktree-status.js';

/**
 * The modules behind these commands (the drift gate extracts manifests with
 * the TypeScript compiler; OpenSpec, YAML, SSH approvals), loaded by the
 * action that runs, so that registering the commands costs nothing.
 */
async function load() {
  const [check, report, config, changes, cli, justify, approvals, fsUtil] = await Promise.all([
    import('../check/index.js'),
    import('../check/report.js'),
    import('../config/index.js'),
    import('../openspec/changes.js'),
    import('../openspec/cli.js'),
    import('../openspec/justify.js'),
    import('../approvals/index.js'),
    import('../util/fs.js'),
  ]);
  const placeholders = await import('../openspec/placeholders.js');
  return { ...check, ...report, ...config, ...changes, ...cli, ...justify, ...approvals, ...fsUtil, ...placeholders };
}
type Loaded = Awaited<ReturnType<typeof load>>;

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
  const [{ repoRoot, repoPrefix }, { readFileAtRef }, { positionResolver }] = await Promise.all([
    import('../git/run.js'),
    import('../git/files.js'),
    import('../report/positions.js'),
  ]);
  let repo: string, sub: string;
  try {
    repo = repoRoot(root);
    sub = repoPrefix(root);
  } catch {
    return undefined;
  }
  const commit = r.candidate.commit;
  return positionResolver((file) => {
    try {
      return readFileAtRef(repo, commit, sub ? path.posix.join(sub, file) : file);
    } catch {
      return null;
    }
  });
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

function checkFormat(f: string): CheckFormat {
  if (!(CHECK_FORMATS as readonly string[]).includes(f)) {
    throw new UserError(`unknown --format "${f}"`, { hint: `use one of: ${CHECK_FORMATS.join(', ')}` });
  }
  return f as CheckFormat;
}

function checkOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', ROOT_HELP)
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
    .option('--format <format>', `output format: ${CHECK_FORMATS.join(', ')}`, 'text')
    .option('--strict', 'also fail on stale or invalid declarations')
    .action(async (flags: CheckFlags) => {
      const format = checkFormat(flags.format);
      const root = resolveRoot(flags.root);
      const r = await runAnyCheck({
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
      setExit(await runJustify(id, flags));
    });

  program
    .command('approve <change-id>')
    .description(
      "Approve a change set: sign its digest with an SSH key (namespace 'policydrift') and append the approval",
    )
    .option('--root <dir>', ROOT_HELP)
    .option('--key <file>', 'SSH private key (or its .pub with ssh-agent); omit only in "listed" mode')
    .option('--as <identity>', 'approver identity as in the allowed signers file (default: git config user.email)')
    .action(async (id: string, flags: { root?: string; key?: string; as?: string }) => {
      const m = await load();
      const { approve } = m;
      const root = resolveRoot(flags.root);
      const cfg = m.loadConfig(root);
      const setDir = findChangeSet(m, root, id);
      if (!flags.key && cfg.approvals.mode === 'signed') {
        throw new UserError('--key is required: approvals are signed (approvals.mode "signed")', {
          hint: 'pass --key ~/.ssh/id_ed25519 (the key whose public half is in the allowed signers file)',
        });
      }
      const shownDir = path.relative(process.cwd(), setDir) || '.';
      const todo = m.findPlaceholders(setDir);
      if (todo.length) {
        throw new UserError(
          `${m.placeholderMessages(shownDir, todo)[0]}${todo.length > 1 ? ` (and ${todo.length - 1} more)` : ''}`,
          {
            hint: `write the proposal and the delta spec in your own words (replace every TODO line${todo.length > 1 ? `: ${todo.map((t) => `${t.file}:${t.line}`).join(', ')}` : ''}), commit, then approve`,
          },
        );
      }
      const identity = flags.as ?? gitEmail(root);
      const entry = approve(setDir, flags.key ? path.resolve(flags.key) : null, identity);
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
    .option('--root <dir>', ROOT_HELP)
    .action(async (id: string, flags: { root?: string }) => {
      const m = await load();
      const { evaluateApprovals } = m;
      const root = resolveRoot(flags.root);
      const cfg = m.loadConfig(root);
      const setDir = findChangeSet(m, root, id);
      const signersFile = cfg.approvals.allowedSigners ? path.resolve(root, cfg.approvals.allowedSigners) : null;
      const signers = signersFile && fs.existsSync(signersFile) ? fs.readFileSync(signersFile, 'utf8') : null;
      const ev = evaluateApprovals(setDir, cfg.approvals, signers);
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

/** At a workspace root (src/workspace/check.ts) one gate covers every package; elsewhere the single-project check. */
async function runAnyCheck(opts: import('../check/index.js').CheckOptions): Promise<CheckResult> {
  const ws = await import('../workspace/check.js');
  if (ws.isWorkspaceCheck(opts.dir, opts.candidate, opts.registryRef, opts.against)) return ws.runWorkspaceCheck(opts);
  const { runCheck } = await import('../check/index.js');
  return runCheck(opts);
}

function gitEmail(root: string): string {
  const r = spawnSync('git', ['config', 'user.email'], { cwd: root, encoding: 'utf8' });
  const email = r.status === 0 ? r.stdout.trim() : '';
  if (!email)
    throw new UserError('no approver identity', {
      hint: 'pass --as <identity> (as in the allowed signers file) or set git config user.email',
    });
  return email;
}

/** An active change set `openspec/changes/<id>` or an archived `openspec/changes/archive/<date>-<id>`. */
function findChangeSet(m: Loaded, root: string, id: string): string {
  const { CHANGE_ID_RE, discoverChangeSets } = m;
  if (!CHANGE_ID_RE.test(id))
    throw new UserError(`invalid change id "${id}"`, { hint: 'change ids are kebab-case, e.g. add-wiretap-response' });
  const sets = fs.existsSync(path.join(root, 'openspec')) ? discoverChangeSets(root) : [];
  const found = sets.find((s) => s.id === id && !s.archived) ?? sets.find((s) => s.id === id);
  if (!found)
    throw new UserError(
      `no OpenSpec change set "${id}" under ${path.relative(process.cwd(), path.join(root, 'openspec/changes')) || 'openspec/changes'}`,
      { hint: `create it with \`policydrift justify ${id}\`` },
    );
  return found.dir;
}

async function runJustify(id: string, flags: CheckFlags): Promise<number> {
  const m = await load();
  const { CHANGE_ID_RE, discoverChangeSets, newChange, writePolicydriftBlock } = m;
  if (!CHANGE_ID_RE.test(id))
    throw new UserError(`invalid change id "${id}"`, { hint: 'change ids are kebab-case, e.g. add-wiretap-response' });
  const root = resolveRoot(flags.root);
  // Input errors first: extraction can take a while.
  if (!fs.existsSync(path.join(root, 'openspec'))) {
    throw new UserError('no openspec/ folder in the project', {
      hint: 'run `npx openspec init --tools none --no-animation .` first',
    });
  }
  if (flags.candidate === 'HEAD') {
    // justify declares the changes of the committed HEAD: uncommitted edits would silently be left out.
    const cfg = m.loadConfig(root);
    const dirty = relevantForJustify(uncommittedFiles(root), [
      CONFIG_FILE,
      cfg.tsconfig,
      cfg.manifest,
      ...(cfg.approvals.allowedSigners ? [cfg.approvals.allowedSigners] : []),
    ]);
    if (dirty.length) {
      const shown = dirty.slice(0, 5).map((f) => `${f.path}${f.untracked ? ' (untracked)' : ''}`);
      throw new UserError(
        `the working tree has uncommitted changes that justify would not see: ${shown.join(', ')}${dirty.length > 5 ? ` and ${dirty.length - 5} more` : ''}`,
        {
          hint: 'justify declares the changes of the committed HEAD: commit them first (run `policydrift extract --write` before), then run justify again; or pass --candidate <rev> to justify a specific commit',
        },
      );
    }
  }
  const r = await runAnyCheck({
    dir: root,
    against: flags.against,
    candidate: flags.candidate,
    registryRef: flags.registryRef,
  });
  if (!r.manifest.fresh) {
    throw new UserError(`${r.manifest.path} at ${flags.candidate} is stale`, {
      exitCode: EXIT.policy,
      hint: 'run `policydrift extract --write`, commit, then justify',
    });
  }
  let setDir: string | null;
  try {
    setDir = findChangeSet(m, root, id);
  } catch {
    setDir = null;
  }
  if (setDir === null && r.unjustified.length === 0) {
    process.stderr.write(
      `policydrift: nothing to justify: ${flags.candidate} has no unjustified change since ${r.baseline.ref} (manifest v${r.baseline.manifestVersion}→v${r.candidate.manifestVersion}); no change set created\n`,
    );
    return EXIT.pass;
  }
  const created = setDir === null;
  if (setDir === null) setDir = newChange(root, id).path;
  const existing = discoverChangeSets(root).find((s) => s.dir === setDir)?.policydrift?.justifies ?? [];
  const key = (d: JustificationDecl) => `${d.rule}\0${d.id}\0${d.subject}`;
  const wanted = new Map<string, JustificationDecl>();
  const current = new Set(
    r.diff.changes.filter((c) => c.effect !== 'neutral').map((c) => `${c.rule}\0${c.id}\0${c.subject}`),
  );
  for (const d of existing) if (current.has(key(d))) wanted.set(key(d), d);
  for (const u of r.unjustified)
    if (!m.UNJUSTIFIABLE_RULES.has(u.change.rule)) wanted.set(key(u.declaration), u.declaration);
  const justifies = [...wanted.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  writePolicydriftBlock(setDir, { from: r.baseline.manifestVersion, to: r.candidate.manifestVersion, justifies });
  scaffold(m, setDir, id, r);
  const rel = path.relative(process.cwd(), setDir) || '.';
  process.stderr.write(
    `policydrift: ${created ? 'created' : 'updated'} ${rel} declaring ${justifies.length} change${justifies.length === 1 ? '' : 's'} (manifest v${r.baseline.manifestVersion}→v${r.candidate.manifestVersion})\n` +
      `  next: describe the change in proposal.md and specs/, commit, then an approver runs \`policydrift approve ${id} --key <ssh key>\`\n`,
  );
  return EXIT.pass;
}

/** A proposal and a delta spec that pass `openspec validate --strict`, for the author to edit. */
function scaffold(m: Loaded, setDir: string, id: string, r: CheckResult): void {
  const { writeFileAtomic } = m;
  // The TODO lines are placeholders: approve refuses, and check does not count, a change set that still has them.
  const proposal = path.join(setDir, 'proposal.md');
  const changes = r.unjustified.map((u) => u.change);
  if (!fs.existsSync(proposal)) {
    writeFileAtomic(
      proposal,
      `# Change: ${id}\n\n## Why\n\n${m.PROPOSAL_WHY_PLACEHOLDER}\n\n## What Changes\n\n${changes.map((c) => `- ${c.rule}: ${c.message}`).join('\n') || '- (none)'}\n\n## Impact\n\n- Invariant manifest v${r.baseline.manifestVersion} → v${r.candidate.manifestVersion}\n`,
    );
  }
  const specsDir = path.join(setDir, 'specs');
  const hasSpec = fs.existsSync(specsDir) && fs.readdirSync(specsDir).length > 0;
  if (!hasSpec) {
    const ids = [...new Set(changes.map((c) => c.id))].sort();
    writeFileAtomic(
      path.join(specsDir, 'privacy-invariants', 'spec.md'),
      `## Purpose\n\nPrivacy invariants of the service that policydrift extracts and checks on every change.\n\n## ADDED Requirements\n\n### Requirement: ${id}\n${m.SPEC_REQUIREMENT_PLACEHOLDER}\n${m.SPEC_PLACEHOLDER}\n\n**Invariants**: ${ids.join(', ') || 'none'}\n\n#### Scenario: Declared behaviour change\n- **WHEN** the change set ${id} is approved\n- **THEN** the policy drift check accepts exactly the declared changes\n`,
    );
  }
}
