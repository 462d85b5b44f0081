/** Reports of `policydrift check`: each a pure function from the result to a string. */
import { stringify as yamlStringify } from 'yaml';
import type { CheckResult, Unjustified } from './index.js';
import { UNJUSTIFIABLE_RULES } from '../diff/rules/config.js';
import type { Change } from '../diff/types.js';
import { canonicalJson } from '../manifest/index.js';
import { renderSarif } from '../report/sarif.js';
import type { PositionResolver } from '../report/positions.js';
import { escapeData, escapeProperty } from '../report/github.js';
import { showValue } from '../report/format.js';
import type { DiffResult } from '../diff/index.js';

const short = (sha: string) => sha.slice(0, 12);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => (s === '' ? '' : `\`${s.replace(/`/g, "'")}\``);
const target = (c: Change) => (c.subject ? `${c.id} [${c.subject}]` : c.id);

export function checkVerdict(r: CheckResult): string {
  if (r.ok) {
    const j = r.justified.length;
    return j
      ? `PASS — ${j} change${j === 1 ? '' : 's'} justified by approved change sets`
      : 'PASS — no behaviour change to justify';
  }
  const parts: string[] = [];
  if (!r.manifest.fresh) parts.push('the committed manifest is stale');
  if (r.unjustified.length)
    parts.push(`${r.unjustified.length} unjustified change${r.unjustified.length === 1 ? '' : 's'}`);
  if (r.stale.length) parts.push(`${r.stale.length} stale declaration${r.stale.length === 1 ? '' : 's'} (--strict)`);
  if (r.invalid.length)
    parts.push(`${r.invalid.length} invalid declaration${r.invalid.length === 1 ? '' : 's'} (--strict)`);
  return `FAIL — ${parts.join(', ')}`;
}

/** The `policydrift:` block that would justify all unjustified changes (for copy and paste). */
export function suggestedBlock(r: CheckResult): string {
  return yamlStringify({
    policydrift: {
      from: r.baseline.manifestVersion,
      to: r.candidate.manifestVersion,
      justifies: r.unjustified.filter((u) => !UNJUSTIFIABLE_RULES.has(u.change.rule)).map((u) => u.declaration),
    },
  });
}

function header(r: CheckResult): string[] {
  const b = r.baseline;
  const baseWhat = b.source === 'registry' ? `release ${b.release}` : `merge-base with ${b.against}`;
  return [
    `baseline  ${baseWhat} (${short(b.commit)}, manifest v${b.manifestVersion})${b.source === 'registry' ? (r.registry.trusted ? ` — registry read from ${r.registry.trustedRef}` : ' — registry read from the candidate (untrusted)') : ''}`,
    `candidate ${r.candidate.ref} (${short(r.candidate.commit)}, manifest v${r.candidate.manifestVersion})`,
  ];
}

export function renderCheckText(r: CheckResult, opts: { color?: boolean } = {}): string {
  const c = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [
    `policydrift check: ${r.ok ? c('32', checkVerdict(r)) : c('31', checkVerdict(r))}`,
    ...header(r).map((l) => `  ${l}`),
  ];
  if (!r.manifest.fresh) {
    out.push(
      '',
      `${c('31', 'stale manifest')}: ${r.manifest.path} at the candidate is not what extraction gives${r.manifest.entries.length ? `; entries that differ: ${r.manifest.entries.join(', ')}` : ''}`,
      '  run `policydrift extract --write` and commit the result',
    );
  }
  if (r.unjustified.length) {
    out.push('', 'Unjustified changes (each needs a declaration in a valid, approved OpenSpec change set):');
    for (const u of r.unjustified) out.push(...unjustifiedText(u, c));
    if (r.unjustified.some((u) => !UNJUSTIFIABLE_RULES.has(u.change.rule)))
      out.push(
        '',
        'Declare them in openspec/changes/<change-id>/.openspec.yaml (or run `policydrift justify <change-id>`):',
        ...suggestedBlock(r)
          .trimEnd()
          .split('\n')
          .map((l) => `    ${l}`),
        '  then have an approver run `policydrift approve <change-id> --key <ssh key>`.',
      );
  }
  if (r.justified.length) {
    out.push('', 'Justified:');
    for (const j of r.justified) out.push(`  ${c('32', '✓')} ${j.change.rule}  ${target(j.change)}  by ${j.changeSet}`);
  }
  if (r.stale.length) {
    out.push('', 'Stale declarations (they match no change in this diff):');
    for (const s of r.stale)
      out.push(
        `  - ${s.changeSet}: ${s.declaration.rule} ${s.declaration.id}${s.declaration.subject ? ` [${s.declaration.subject}]` : ''} (${s.reason})`,
      );
  }
  if (r.invalid.length) {
    out.push('', 'Invalid declarations (they justify nothing):');
    for (const s of r.invalid) out.push(`  - ${s.changeSet}: ${JSON.stringify(s.declaration)} (${s.reason})`);
  }
  const sets = r.changeSets.filter((s) => s.relevant);
  if (sets.length) {
    out.push('', 'Change sets:');
    for (const s of sets) {
      const ap = s.approvals;
      out.push(
        `  ${s.valid && s.approved ? c('32', '✓') : c('31', '✗')} ${s.id} (${s.path}, v${s.from}→v${s.to}): ${s.valid ? 'valid' : 'NOT valid'}, ${s.approved ? `approved by ${ap?.valid.map((v) => v.identity).join(', ')}` : `NOT approved${ap?.reason ? ` (${ap.reason})` : ''}`}`,
      );
      if (!s.valid) for (const m of s.validation) out.push(`      ${m}`);
      for (const inv of ap?.invalid ?? []) out.push(`      rejected approval by ${inv.identity}: ${inv.reason}`);
    }
  }
  for (const w of r.warnings) out.push('', `${c('33', 'warning')}: ${w}`);
  return out.join('\n') + '\n';
}

function unjustifiedText(u: Unjustified, c: (code: string, s: string) => string): string[] {
  const ch = u.change;
  const lines = [
    `  ${c('31', '✗')} ${ch.rule} (${ch.effect})  ${target(ch)}${ch.locations.length ? `  ${ch.locations[0]}` : ''}`,
    `      ${ch.message}`,
  ];
  for (const b of u.blockedBy) lines.push(`      a declaration names it, but ${b}`);
  return lines;
}

export function renderCheckMarkdown(r: CheckResult): string {
  const out: string[] = [
    `**${r.ok ? '✅' : '❌'} policydrift check: ${checkVerdict(r)}**`,
    '',
    ...header(r).map((l) => `- ${l.replace(/^(\w+)\s+/, '**$1**: ')}`),
  ];
  if (!r.manifest.fresh) {
    out.push(
      '',
      `> **Stale manifest**: \`${r.manifest.path}\` is not what extraction gives at the candidate${r.manifest.entries.length ? ` (${r.manifest.entries.map(code).join(', ')})` : ''}. Run \`policydrift extract --write\` and commit it.`,
    );
  }
  if (r.unjustified.length) {
    out.push(
      '',
      '### Needs justification',
      '',
      '| rule | effect | change | before → after | location | declaration that would justify it |',
      '|---|---|---|---|---|---|',
    );
    for (const u of r.unjustified) {
      const ch = u.change;
      const decl = UNJUSTIFIABLE_RULES.has(ch.rule)
        ? '(none: remove it from the change)'
        : `rule: ${u.declaration.rule}, id: ${u.declaration.id}, subject: ${u.declaration.subject}`;
      out.push(
        `| \`${ch.rule}\` | ${ch.effect} | ${cell(code(target(ch)))} | ${cell(`${code(showValue(ch.before, 50))} → ${code(showValue(ch.after, 50))}`)} | ${cell(ch.locations.join(', '))} | ${cell(code(decl))} |`,
      );
    }
    const blocked = r.unjustified.filter((u) => u.blockedBy.length);
    for (const u of blocked)
      out.push(
        '',
        `> \`${u.change.rule}\` ${code(target(u.change))}: a declaration names it, but ${u.blockedBy.join('; ')}.`,
      );
    for (const u of r.unjustified.filter((x) => UNJUSTIFIABLE_RULES.has(x.change.rule)))
      out.push('', `> \`${u.change.rule}\` ${code(target(u.change))}: ${u.change.message}.`);
    if (r.unjustified.some((u) => !UNJUSTIFIABLE_RULES.has(u.change.rule)))
      out.push(
        '',
        '<details><summary>How to justify these changes</summary>',
        '',
        'Add an OpenSpec change set (`policydrift justify <change-id>` writes this for you) whose `.openspec.yaml` declares:',
        '',
        '```yaml',
        suggestedBlock(r).trimEnd(),
        '```',
        '',
        'then describe the change in its proposal and delta spec, and have an approver listed in the baseline run `policydrift approve <change-id> --key <ssh key>`. Any edit after approval voids it.',
        '',
        '</details>',
      );
  }
  if (r.justified.length) {
    out.push(
      '',
      `<details><summary>Justified changes (${r.justified.length})</summary>`,
      '',
      '| rule | change | change set |',
      '|---|---|---|',
    );
    for (const j of r.justified)
      out.push(`| \`${j.change.rule}\` | ${cell(code(target(j.change)))} | \`${j.changeSet}\` |`);
    out.push('', '</details>');
  }
  const other = r.diff.changes.filter((x) => x.effect === 'strengthening' || x.effect === 'neutral');
  if (other.length) {
    out.push('', `<details><summary>Strengthenings and neutral changes (${other.length})</summary>`, '');
    for (const x of other) out.push(`- ${x.effect}: \`${x.rule}\` ${code(target(x))}: ${x.message}`);
    out.push('', '</details>');
  }
  if (r.stale.length || r.invalid.length) {
    out.push('', '<details><summary>Declarations that justify nothing</summary>', '');
    for (const s of r.stale)
      out.push(
        `- stale in \`${s.changeSet}\`: \`${s.declaration.rule}\` ${code(s.declaration.id)} ${code(s.declaration.subject)} (${s.reason})`,
      );
    for (const s of r.invalid)
      out.push(`- invalid in \`${s.changeSet}\`: ${code(JSON.stringify(s.declaration))} (${s.reason})`);
    out.push('', '</details>');
  }
  const sets = r.changeSets.filter((s) => s.relevant);
  if (sets.length) {
    out.push('', '| change set | versions | valid | approved |', '|---|---|---|---|');
    for (const s of sets)
      out.push(
        `| \`${s.id}\` | v${s.from}→v${s.to} | ${s.valid ? '✅' : '❌'} | ${s.approved ? `✅ ${s.approvals?.valid.map((v) => v.identity).join(', ')}` : `❌ ${cell(s.approvals?.reason ?? '')}`} |`,
      );
  }
  for (const w of r.warnings) out.push('', `> ⚠️ ${w}`);
  return out.join('\n') + '\n';
}

export function renderCheckJson(r: CheckResult): string {
  return canonicalJson({ schemaVersion: 1, verdict: r.ok ? 'pass' : 'fail', ...r });
}

/** SARIF of the unjustified changes (errors) only: what a code-scanning upload should flag. */
export function renderCheckSarif(r: CheckResult, positions?: PositionResolver): string {
  const unjustified = new Set(r.unjustified.map((u) => u.change));
  const changes = r.diff.changes.filter((c) => unjustified.has(c));
  const summary = { weakening: 0, strengthening: 0, modified: 0, neutral: 0 };
  for (const c of changes) summary[c.effect]++;
  const sub: DiffResult = { ...r.diff, changes, summary };
  return renderSarif(sub, { fallbackUri: r.manifest.path, positions });
}

/**
 * GitHub Actions workflow commands: an error annotation per unjustified change (at its first location),
 * one for a stale manifest, a warning per stale or invalid declaration, then the verdict line.
 */
export function renderCheckGithub(r: CheckResult, positions?: PositionResolver): string {
  const out: string[] = [];
  const annotate = (cmd: string, file: string | undefined, title: string, message: string, change?: Change) => {
    const pos = change?.locations[0] ? positions?.(change.locations[0], change) : null;
    const props = [
      ...(file ? [`file=${escapeProperty(file)}`] : []),
      ...(pos ? [`line=${pos.line}`, `col=${pos.column}`] : []),
      `title=${escapeProperty(title)}`,
    ];
    out.push(`::${cmd} ${props.join(',')}::${escapeData(message)}`);
  };
  if (!r.manifest.fresh)
    annotate(
      'error',
      r.manifest.path,
      'stale manifest',
      `${r.manifest.path} is not what extraction gives at the candidate; run \`policydrift extract --write\` and commit it`,
    );
  for (const u of r.unjustified) {
    const c = u.change;
    const why = u.blockedBy.length
      ? `a declaration names it, but ${u.blockedBy.join('; ')}`
      : 'no valid, approved OpenSpec change set declares it (`policydrift justify <change-id>`)';
    annotate('error', c.locations[0] ?? r.manifest.path, `${c.rule} (${c.effect})`, `${c.message} — ${why}`, c);
  }
  for (const s of r.stale)
    annotate(
      'warning',
      undefined,
      'stale declaration',
      `${s.changeSet}: ${s.declaration.rule} ${s.declaration.id}${s.declaration.subject ? ` [${s.declaration.subject}]` : ''} (${s.reason})`,
    );
  for (const s of r.invalid)
    annotate(
      'warning',
      undefined,
      'invalid declaration',
      `${s.changeSet}: ${JSON.stringify(s.declaration)} (${s.reason})`,
    );
  out.push(`policydrift check: ${checkVerdict(r)}`);
  return out.join('\n') + '\n';
}
