import type { DiffResult } from '../diff/index.js';
import type { Effect } from '../diff/types.js';
import { byEffect, count, EFFECT_ORDER, sizeNote, summarizeUnions, verdict, type ReportOptions } from './format.js';

const COLORS: Record<Effect, string> = { weakening: '31', modified: '33', strengthening: '32', neutral: '2' };

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** Plain text for a terminal: grouped by effect, one line per change with its rule id and location. */
export function renderText(result: DiffResult, opts: ReportOptions = {}): string {
  const paint = (code: string, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const v = verdict(result, opts.failOn);
  const out: string[] = [
    `policydrift diff: base v${result.base.manifestVersion} (${short(result.base.digest)}) -> head v${result.head.manifestVersion} (${short(result.head.digest)})`,
    `${v.icon} ${v.text}`,
  ];
  for (const effect of EFFECT_ORDER) {
    const changes = byEffect(result, effect);
    if (!changes.length) continue;
    out.push('', paint(`1;${COLORS[effect]}`, `${count(changes.length, effect)}:`));
    for (const c of changes) {
      const where = c.locations.length ? `  (${c.locations.join(', ')})` : '';
      // Long unions and large variants are summarised; `--format json` and the manifest have everything.
      out.push(`  ${paint(COLORS[effect], c.rule)}  ${summarizeUnions(c.message)}${sizeNote(c)}${where}`);
    }
  }
  if (result.changes.length)
    out.push('', 'Run `policydrift explain <RULE>` for what a rule means and how to justify it.');
  return out.join('\n') + '\n';
}
