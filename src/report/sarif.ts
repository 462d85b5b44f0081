import type { DiffResult } from '../diff/index.js';
import type { Effect } from '../diff/types.js';
import { RULES } from '../diff/rules/index.js';
import { VERSION } from '../version.js';
import type { ReportOptions } from './format.js';

export const SARIF_FINGERPRINT_KEY = 'policydrift/v1';
export const INFORMATION_URI = 'https://policydrift.dev';

const LEVEL: Record<Effect, 'error' | 'note' | 'none'> = {
  weakening: 'error',
  modified: 'error',
  strengthening: 'note',
  neutral: 'none',
};

/** SARIF 2.1.0 for code scanning: every catalogue rule, one result per non-neutral change. */
export function renderSarif(result: DiffResult, opts: ReportOptions = {}): string {
  const rules = RULES.map((r) => ({
    id: r.id,
    name: r.id
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(''),
    shortDescription: { text: r.summary },
    fullDescription: { text: r.description },
    help: {
      text: `${r.summary} ${r.description}\n\nHow to justify: ${r.justifyHint}\nRun \`policydrift explain ${r.id}\` for details.`,
      markdown: `**${r.summary}**\n\n${r.description}\n\n**How to justify:** ${r.justifyHint}`,
    },
    defaultConfiguration: { level: LEVEL[r.effect] },
    properties: { category: r.category, effect: r.effect, tags: ['privacy', r.category, r.effect] },
  }));
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const results = result.changes
    .filter((c) => c.effect !== 'neutral')
    .map((c) => {
      const uris = c.locations.length ? c.locations : opts.fallbackUri ? [opts.fallbackUri] : [];
      return {
        ruleId: c.rule,
        ...(index.has(c.rule) ? { ruleIndex: index.get(c.rule) } : {}),
        level: LEVEL[c.effect],
        message: { text: c.message },
        ...(uris.length
          ? {
              locations: uris.map((uri) => {
                const pos = c.locations.length ? opts.positions?.(uri, c) : null;
                return {
                  physicalLocation: {
                    artifactLocation: { uri },
                    ...(pos ? { region: { startLine: pos.line, startColumn: pos.column } } : {}),
                  },
                };
              }),
            }
          : {}),
        partialFingerprints: { [SARIF_FINGERPRINT_KEY]: c.fingerprint },
        properties: {
          effect: c.effect,
          category: c.category,
          id: c.id,
          subject: c.subject,
          before: c.before,
          after: c.after,
        },
      };
    });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'policydrift',
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: INFORMATION_URI,
            rules,
          },
        },
        results,
        properties: { base: result.base, head: result.head, summary: result.summary },
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
