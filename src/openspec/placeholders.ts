/**
 * The text `policydrift justify` scaffolds into a new change set, and the
 * check that it has been replaced: a proposal that still says "TODO" was never
 * written, so it cannot be approved and does not justify anything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deltaSpecFiles } from './changes.js';

export const PROPOSAL_WHY_PLACEHOLDER = 'TODO: why this privacy-relevant behaviour change is needed.';
export const SPEC_PLACEHOLDER = 'TODO: replace this requirement with the privacy behaviour the change introduces.';
/** The requirement sentence of the scaffold spec (a placeholder too, also in change sets scaffolded before the TODO line). */
export const SPEC_REQUIREMENT_PLACEHOLDER =
  'The system SHALL change its privacy-relevant behaviour only as declared in this change set.';

/** A line that starts with TODO (after list markers or emphasis) is a placeholder by convention. */
const TODO_LINE = /^\s*(?:[-*>]\s+)*(?:\*\*|__)?TODO\b/;

export interface Placeholder {
  /** POSIX path relative to the change set folder. */
  file: string;
  line: number;
  text: string;
}

/** Scaffold placeholders still present in proposal.md and the delta specs, in file order. */
export function findPlaceholders(setDir: string): Placeholder[] {
  const out: Placeholder[] = [];
  for (const file of ['proposal.md', ...deltaSpecFiles(setDir)]) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(setDir, ...file.split('/')), 'utf8');
    } catch {
      continue;
    }
    text.split(/\r?\n/).forEach((l, i) => {
      if (TODO_LINE.test(l) || l.includes(SPEC_REQUIREMENT_PLACEHOLDER))
        out.push({ file, line: i + 1, text: l.trim() });
    });
  }
  return out;
}

/** `<dir>/proposal.md:7: "TODO: ..."` lines for messages; `dirLabel` is how the change set is shown. */
export function placeholderMessages(dirLabel: string, found: Placeholder[]): string[] {
  return found.map(
    (p) =>
      `${dirLabel}/${p.file}:${p.line}: scaffold placeholder still present: "${p.text.length > 90 ? `${p.text.slice(0, 87)}...` : p.text}"`,
  );
}
