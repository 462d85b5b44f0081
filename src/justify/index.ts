/**
 * `policydrift justify <id>`: declare the candidate's unjustified changes in an OpenSpec change set (created
 * with a proposal and spec to fill in, or updated), so that an approver can sign it. Input errors come before
 * the (slow) gate runs; the working tree must not hold relevant uncommitted edits, because justify reads the
 * committed candidate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE } from '../config/constants.js';
import { loadConfig } from '../config/index.js';
import { UNJUSTIFIABLE_RULES } from '../diff/rules/config.js';
import { EXIT, UserError } from '../errors.js';
import { discoverChangeSets, type JustificationDecl } from '../openspec/changes.js';
import { CHANGE_ID_RE, newChange } from '../openspec/cli.js';
import { writePolicydriftBlock } from '../openspec/justify.js';
import { scaffoldChangeSet } from '../openspec/scaffold.js';
import { runAnyCheck } from '../workspace/check.js';
import { approve, evaluateApprovals, type ApprovalEvaluation } from '../approvals/index.js';
import { findPlaceholders, placeholderMessages } from '../openspec/placeholders.js';
import { runGit } from '../git/run.js';
import { relevantForJustify, uncommittedFiles } from './worktree-status.js';

export interface JustifyOptions {
  root: string;
  id: string;
  against: string;
  candidate: string;
  registryRef?: string;
}

export type JustifyOutcome =
  | { action: 'nothing'; candidate: string; baselineRef: string; from: number; to: number }
  | { action: 'created' | 'updated'; dir: string; declared: number; from: number; to: number };

/** A kebab-case change id, or a usage error. */
export function checkChangeId(id: string): void {
  if (!CHANGE_ID_RE.test(id))
    throw new UserError(`invalid change id "${id}"`, { hint: 'change ids are kebab-case, e.g. add-wiretap-response' });
}

/** An active change set `openspec/changes/<id>` or an archived `openspec/changes/archive/<date>-<id>`. */
export function findChangeSet(root: string, id: string): string {
  checkChangeId(id);
  const sets = fs.existsSync(path.join(root, 'openspec')) ? discoverChangeSets(root) : [];
  const found = sets.find((s) => s.id === id && !s.archived) ?? sets.find((s) => s.id === id);
  if (!found)
    throw new UserError(
      `no OpenSpec change set "${id}" under ${path.relative(process.cwd(), path.join(root, 'openspec/changes')) || 'openspec/changes'}`,
      { hint: `create it with \`policydrift justify ${id}\`` },
    );
  return found.dir;
}

/** Input errors first (extraction can take a while): the id, openspec/, and a clean working tree for HEAD. */
function preflight(o: JustifyOptions): void {
  checkChangeId(o.id);
  if (!fs.existsSync(path.join(o.root, 'openspec'))) {
    throw new UserError('no openspec/ folder in the project', {
      hint: 'run `npx openspec init --tools none --no-animation .` first',
    });
  }
  if (o.candidate !== 'HEAD') return;
  // justify declares the changes of the committed HEAD: uncommitted edits would silently be left out.
  const cfg = loadConfig(o.root);
  const dirty = relevantForJustify(uncommittedFiles(o.root), [
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

export function justify(o: JustifyOptions): JustifyOutcome {
  preflight(o);
  const r = runAnyCheck({ dir: o.root, against: o.against, candidate: o.candidate, registryRef: o.registryRef });
  if (!r.manifest.fresh) {
    throw new UserError(`${r.manifest.path} at ${o.candidate} is stale`, {
      exitCode: EXIT.policy,
      hint: 'run `policydrift extract --write`, commit, then justify',
    });
  }
  const from = r.baseline.manifestVersion;
  const to = r.candidate.manifestVersion;
  let setDir: string | null;
  try {
    setDir = findChangeSet(o.root, o.id);
  } catch {
    setDir = null;
  }
  if (setDir === null && r.unjustified.length === 0)
    return { action: 'nothing', candidate: o.candidate, baselineRef: r.baseline.ref, from, to };
  const created = setDir === null;
  if (setDir === null) setDir = newChange(o.root, o.id).path;
  // Keep the declarations that still describe a current change; add one for every unjustified change.
  const existing = discoverChangeSets(o.root).find((s) => s.dir === setDir)?.policydrift?.justifies ?? [];
  const key = (d: JustificationDecl) => `${d.rule}\0${d.id}\0${d.subject}`;
  const wanted = new Map<string, JustificationDecl>();
  const current = new Set(
    r.diff.changes.filter((c) => c.effect !== 'neutral').map((c) => `${c.rule}\0${c.id}\0${c.subject}`),
  );
  for (const d of existing) if (current.has(key(d))) wanted.set(key(d), d);
  for (const u of r.unjustified)
    if (!UNJUSTIFIABLE_RULES.has(u.change.rule)) wanted.set(key(u.declaration), u.declaration);
  const justifies = [...wanted.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  writePolicydriftBlock(setDir, { from, to, justifies });
  scaffoldChangeSet({
    setDir,
    id: o.id,
    changes: r.unjustified.map((u) => u.change),
    fromVersion: from,
    toVersion: to,
  });
  return { action: created ? 'created' : 'updated', dir: setDir, declared: justifies.length, from, to };
}

export interface ApproveOptions {
  root: string;
  id: string;
  /** SSH private key (or its .pub with ssh-agent); null only in "listed" mode. */
  key: string | null;
  /** The approver identity; default: git config user.email. */
  as?: string;
}

/** The approver identity git knows for `root` (`git config user.email`), or a usage error. */
function gitEmail(root: string): string {
  const r = runGit(root, ['config', 'user.email']);
  const email = r.status === 0 ? r.stdout.toString('utf8').trim() : '';
  if (!email)
    throw new UserError('no approver identity', {
      hint: 'pass --as <identity> (as in the allowed signers file) or set git config user.email',
    });
  return email;
}

/**
 * `policydrift approve <id>`: sign the change set's digest and append the approval. Refuses a set whose
 * proposal or spec still holds the scaffold's placeholders, and a missing key in signed mode.
 */
export function approveChangeSet(o: ApproveOptions): {
  setDir: string;
  identity: string;
  entry: ReturnType<typeof approve>;
} {
  const cfg = loadConfig(o.root);
  const setDir = findChangeSet(o.root, o.id);
  if (!o.key && cfg.approvals.mode === 'signed') {
    throw new UserError('--key is required: approvals are signed (approvals.mode "signed")', {
      hint: 'pass --key ~/.ssh/id_ed25519 (the key whose public half is in the allowed signers file)',
    });
  }
  const shownDir = path.relative(process.cwd(), setDir) || '.';
  const todo = findPlaceholders(setDir);
  if (todo.length) {
    throw new UserError(
      `${placeholderMessages(shownDir, todo)[0]}${todo.length > 1 ? ` (and ${todo.length - 1} more)` : ''}`,
      {
        hint: `write the proposal and the delta spec in your own words (replace every TODO line${todo.length > 1 ? `: ${todo.map((t) => `${t.file}:${t.line}`).join(', ')}` : ''}), commit, then approve`,
      },
    );
  }
  const identity = o.as ?? gitEmail(o.root);
  return { setDir, identity, entry: approve(setDir, o.key ? path.resolve(o.key) : null, identity) };
}

/** `policydrift approvals <id>`: who approved the set and whether each approval is valid (working tree config). */
export function approvalStatus(root: string, id: string): ApprovalEvaluation {
  const cfg = loadConfig(root);
  const setDir = findChangeSet(root, id);
  const signersFile = cfg.approvals.allowedSigners ? path.resolve(root, cfg.approvals.allowedSigners) : null;
  const signers = signersFile && fs.existsSync(signersFile) ? fs.readFileSync(signersFile, 'utf8') : null;
  return evaluateApprovals(setDir, cfg.approvals, signers);
}
