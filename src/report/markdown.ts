import type { DiffResult } from '../diff/index.js';
import type { Change } from '../diff/types.js';
import { byEffect, count, showValue, sizeNote, summarizeUnions, verdict, type ReportOptions } from './format.js';

const MAX_ROWS = 100;

/** Text inside a table cell: no pipes or newlines. */
const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => (s === '' ? '' : s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function row(c: Change): string {
  const delta = `${code(showValue(c.before, 60))} → ${code(showValue(c.after, 60))}`;
  return `| ${c.effect} | \`${c.rule}\` | ${cell(code(c.id))} | ${cell(code(c.subject))} | ${cell(delta)} | ${cell(c.locations.join(', '))} |`;
}

function details(title: string, changes: Change[]): string[] {
  if (!changes.length) return [];
  return [
    '',
    `<details><summary>${html(title)}</summary>`,
    '',
    ...changes.map(
      (c) =>
        `- \`${c.rule}\` ${cell(code(c.id))}${c.subject ? ` ${cell(code(c.subject))}` : ''}: ${html(summarizeUnions(c.message))}${html(sizeNote(c))}${c.locations.length ? ` (${c.locations.join(', ')})` : ''}`,
    ),
    '',
    '</details>',
  ];
}

/** A PR comment: the verdict first, then what needs justification, the rest collapsed. */
export function renderMarkdown(result: DiffResult, opts: ReportOptions = {}): string {
  const v = verdict(result, opts.failOn);
  const out: string[] = [
    `**${v.icon} ${v.text}**`,
    '',
    `policydrift diff · base v${result.base.manifestVersion} → head v${result.head.manifestVersion}`,
  ];
  const gated = [...byEffect(result, 'weakening'), ...byEffect(result, 'modified')];
  if (gated.length) {
    out.push(
      '',
      '| effect | rule | id | subject | before → after | location |',
      '|---|---|---|---|---|---|',
      ...gated.slice(0, MAX_ROWS).map(row),
    );
    // A PR comment has a size limit; the full list is in the other formats.
    if (gated.length > MAX_ROWS)
      out.push(
        '',
        `… and ${gated.length - MAX_ROWS} more weakening/modified change(s); run \`policydrift diff --format text\` for the full list.`,
      );
  }
  out.push(
    ...details(count(byEffect(result, 'strengthening').length, 'strengthening'), byEffect(result, 'strengthening')),
  );
  out.push(...details(count(byEffect(result, 'neutral').length, 'neutral'), byEffect(result, 'neutral')));
  if (gated.length) out.push('', 'Run `policydrift explain <RULE>` for what each rule means and how to justify it.');
  return out.join('\n') + '\n';
}
