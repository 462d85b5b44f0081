/**
 * The proposal and delta spec `policydrift justify` writes into a new change set: they pass
 * `openspec validate --strict`, and their TODO lines are placeholders that `approve` refuses and `check`
 * does not count until the author replaces them (src/openspec/placeholders.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Change } from '../diff/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { PROPOSAL_WHY_PLACEHOLDER, SPEC_PLACEHOLDER, SPEC_REQUIREMENT_PLACEHOLDER } from './placeholders.js';

export interface ScaffoldInput {
  /** The change set folder (`openspec/changes/<id>`). */
  setDir: string;
  id: string;
  /** The changes the set is written for (listed under "What Changes"). */
  changes: readonly Change[];
  fromVersion: number;
  toVersion: number;
}

/** Writes `proposal.md` and `specs/privacy-invariants/spec.md` where the set has none yet; never overwrites. */
export function scaffoldChangeSet(s: ScaffoldInput): void {
  const proposal = path.join(s.setDir, 'proposal.md');
  if (!fs.existsSync(proposal)) {
    const what = s.changes.map((c) => `- ${c.rule}: ${c.message}`).join('\n') || '- (none)';
    writeFileAtomic(
      proposal,
      `# Change: ${s.id}\n\n## Why\n\n${PROPOSAL_WHY_PLACEHOLDER}\n\n## What Changes\n\n${what}\n\n## Impact\n\n- Invariant manifest v${s.fromVersion} → v${s.toVersion}\n`,
    );
  }
  const specsDir = path.join(s.setDir, 'specs');
  const hasSpec = fs.existsSync(specsDir) && fs.readdirSync(specsDir).length > 0;
  if (!hasSpec) {
    const ids = [...new Set(s.changes.map((c) => c.id))].sort();
    writeFileAtomic(
      path.join(specsDir, 'privacy-invariants', 'spec.md'),
      `## Purpose\n\nPrivacy invariants of the service that policydrift extracts and checks on every change.\n\n## ADDED Requirements\n\n### Requirement: ${s.id}\n${SPEC_REQUIREMENT_PLACEHOLDER}\n${SPEC_PLACEHOLDER}\n\n**Invariants**: ${ids.join(', ') || 'none'}\n\n#### Scenario: Declared behaviour change\n- **WHEN** the change set ${s.id} is approved\n- **THEN** the policy drift check accepts exactly the declared changes\n`,
    );
  }
}
