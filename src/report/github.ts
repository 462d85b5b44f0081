import type { DiffResult } from '../diff/index.js';
import type { Effect } from '../diff/types.js';
import { verdict, type ReportOptions } from './format.js';

const COMMAND: Partial<Record<Effect, string>> = { weakening: 'error', modified: 'error', strengthening: 'notice' };

/** Escape workflow-command data (the message). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow-command property value (file, title): also `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub Actions workflow commands: an annotation per weakening/modified (error) and strengthening (notice). */
export function renderGithub(result: DiffResult, opts: ReportOptions = {}): string {
  const out: string[] = [];
  for (const c of result.changes) {
    const cmd = COMMAND[c.effect];
    if (!cmd) continue;
    const file = c.locations[0] ?? opts.fallbackUri;
    const pos = c.locations[0] ? opts.positions?.(c.locations[0], c) : null;
    const props = [
      ...(file ? [`file=${escapeProperty(file)}`] : []),
      ...(pos ? [`line=${pos.line}`, `col=${pos.column}`] : []),
      `title=${escapeProperty(c.rule)}`,
    ];
    out.push(`::${cmd} ${props.join(',')}::${escapeData(c.message)}`);
  }
  const v = verdict(result, opts.failOn);
  out.push(`policydrift: ${v.icon} ${v.text}`);
  return out.join('\n') + '\n';
}
