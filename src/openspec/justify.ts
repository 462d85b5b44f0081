/**
 * Pair drift (Changes) with the declarations of approved, valid change sets.
 * A declaration names one change exactly; there are no wildcards, so what a
 * reviewer approved is exactly what passes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap } from 'yaml';
import type { Change } from '../diff/types.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import {
  METADATA_FILE,
  POLICYDRIFT_KEY,
  declarationProblems,
  parseMetadataText,
  parsePolicydriftBlock,
  type ChangeSet,
  type JustificationDecl,
  type PolicydriftBlock,
} from './changes.js';

/** A change set plus the status the caller established (openspec validate, approvals). */
export type GatedChangeSet = ChangeSet & { valid: boolean; approved: boolean; invalidReason?: string };

export interface JustificationResult {
  justified: Array<{ change: Change; set: GatedChangeSet; decl: JustificationDecl }>;
  unjustified: Change[];
  /** Declarations of counted sets that justify no change in this diff. */
  stale: Array<{ set: GatedChangeSet; decl: JustificationDecl; reason: string }>;
  /** Declarations rejected outright (wildcards, bad shape); they justify nothing. */
  invalid: Array<{ set: GatedChangeSet; decl: JustificationDecl; reason: string }>;
  /** Unjustified changes that a declaration in a set that does not count would name. */
  blocked: Array<{ change: Change; set: GatedChangeSet; reason: string }>;
}

/** The declaration names this change (rule, id, subject), whatever its fingerprint. */
export function sameTarget(change: Change, decl: JustificationDecl): boolean {
  return (
    decl.rule === change.rule &&
    decl.id === change.id &&
    decl.subject === change.subject &&
    decl.package === change.package
  );
}

function matches(change: Change, decl: JustificationDecl): boolean {
  return sameTarget(change, decl) && (decl.fingerprint === undefined || decl.fingerprint === change.fingerprint);
}

function whyNotCounted(set: GatedChangeSet): string | null {
  const why: string[] = [];
  if (!set.valid) why.push(`not valid (${set.invalidReason ?? 'openspec validate --strict'})`);
  if (!set.approved) why.push('not approved');
  return why.length ? `change set ${set.id} is ${why.join(' and ')}` : null;
}

/**
 * Every non-neutral change needs a declaration (rule, id, subject equal, and
 * fingerprint equal when given) in a set with `valid && approved`. Neutral
 * changes are never reported as unjustified. Pass only the sets relevant to
 * this baseline/candidate pair: every declaration of a counted set that
 * matches no change is reported as stale.
 */
export function matchJustifications(changes: Change[], sets: GatedChangeSet[]): JustificationResult {
  const result: JustificationResult = { justified: [], unjustified: [], stale: [], invalid: [], blocked: [] };
  const usable: Array<{ set: GatedChangeSet; decl: JustificationDecl; counted: boolean; used: boolean }> = [];
  for (const set of sets) {
    for (const decl of set.policydrift?.justifies ?? []) {
      const problems = declarationProblems(decl);
      if (problems.length) {
        result.invalid.push({ set, decl, reason: problems.map((p) => p.problem).join('; ') });
        continue;
      }
      usable.push({ set, decl, counted: whyNotCounted(set) === null, used: false });
    }
  }
  for (const change of changes) {
    if (change.effect === 'neutral') continue;
    let justifiedBy = false;
    for (const u of usable) {
      if (!u.counted || !matches(change, u.decl)) continue;
      u.used = true;
      if (!justifiedBy) result.justified.push({ change, set: u.set, decl: u.decl });
      justifiedBy = true;
    }
    if (justifiedBy) continue;
    result.unjustified.push(change);
    for (const u of usable) {
      if (u.counted || !matches(change, u.decl)) continue;
      result.blocked.push({ change, set: u.set, reason: whyNotCounted(u.set)! });
    }
  }
  for (const u of usable) {
    if (!u.counted || u.used) continue;
    const near = changes.find((c) => c.effect !== 'neutral' && sameTarget(c, u.decl));
    const reason = near
      ? `fingerprint ${u.decl.fingerprint} differs from the change's ${near.fingerprint} (its before/after values changed; re-review and update the declaration)`
      : 'matches no change in this diff';
    result.stale.push({ set: u.set, decl: u.decl, reason });
  }
  return result;
}

/** The exact `justifies:` entry that would justify `change` (pinned by fingerprint). */
export function declarationFor(change: Change): JustificationDecl {
  const decl: JustificationDecl = {
    rule: change.rule,
    id: change.id,
    subject: change.subject,
    fingerprint: change.fingerprint,
  };
  if (change.package !== undefined) decl.package = change.package;
  return decl;
}

/**
 * Set the `policydrift:` block of `<setDir>/.openspec.yaml`, keeping every
 * other key (and comments) as they are; the file is replaced atomically.
 */
export function writePolicydriftBlock(setDir: string, block: PolicydriftBlock): void {
  const file = path.join(setDir, METADATA_FILE);
  const label = file;
  // Validate before writing: never persist a block the reader would reject.
  const clean = parsePolicydriftBlock(block, label);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${label}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      hint: 'create the change set first: openspec new change <id>',
    });
  }
  // The existing block is not validated: this is how a broken one gets fixed.
  const { doc } = parseMetadataText(text, label, { checkBlock: false });
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new UserError(`${label}: must be a YAML mapping`);
  const value: Record<string, unknown> = {
    from: clean.from,
    to: clean.to,
    justifies: clean.justifies.map((d) => ({ ...d })),
  };
  doc.set(POLICYDRIFT_KEY, doc.createNode(value));
  const out = doc.toString();
  // Round-trip check: what we write must read back as the same block.
  const back = parseMetadataText(out, label).policydrift;
  if (JSON.stringify(back) !== JSON.stringify(clean)) {
    throw new UserError(
      `${label}: internal error: the policydrift block does not read back unchanged; file left as it was`,
    );
  }
  writeFileAtomic(file, out);
}
