/** The rules reference (docs/rules.md) and `policydrift explain`, generated from the catalogue. */
import type { Category, Effect } from '../types.js';
import type { RuleMeta } from './define.js';
import { RULES } from './index.js';

const CATEGORY_TITLES: Array<[Category | 'any', string]> = [
  ['le', 'LE responses'],
  ['logging', 'Logging'],
  ['keygate', 'Key gating'],
  ['privacy', 'Privacy invariants'],
  ['location', 'Locations'],
  ['config', 'Configuration (policydrift check)'],
  ['any', 'Catch-all'],
];

const EFFECT_WORDS: Record<Effect, string> = {
  weakening: 'weakening — needs an approved change set; fails `--fail-on weakening` (the default)',
  modified: 'modified — cannot be ordered; gated like a weakening',
  strengthening: 'strengthening — reported; fails only `--fail-on any`',
  neutral: 'neutral — informational; never fails',
};

/** `explain` output for one rule (plain text). */
export function renderRuleText(r: RuleMeta): string {
  return [
    `${r.id}  (${r.category}, ${r.effect})`,
    '',
    r.summary,
    '',
    r.description,
    '',
    `Effect: ${EFFECT_WORDS[r.effect]}`,
    `How to justify: ${r.justifyHint}`,
    '',
  ].join('\n');
}

/** The markdown section of one rule. */
export function renderRuleMarkdown(r: RuleMeta): string {
  return [
    `### ${r.id}`,
    '',
    `**${r.effect}** · category \`${r.category}\``,
    '',
    r.summary,
    '',
    r.description,
    '',
    `**How to justify:** ${r.justifyHint}`,
    '',
  ].join('\n');
}

/** The full rules reference, deterministic (checked by a test against docs/rules.md). */
export function renderRulesReference(): string {
  const out: string[] = [
    '# policydrift diff rules',
    '',
    '<!-- Generated from src/diff/rules by `node scripts/gen-docs.js`; do not edit by hand. -->',
    '',
    '`policydrift diff <base> <head>` compares two invariant manifests and reports every semantic change as one of these rules.',
    'Each change has an **effect**:',
    '',
    '| effect | meaning |',
    '|---|---|',
    '| weakening | the head can disclose more, or checks less, than the base |',
    "| modified | a change policydrift cannot order (incomparable types, unknown labels, a guard's implementation); gated as a weakening |",
    '| strengthening | the head discloses less or checks more |',
    '| neutral | nothing that can be disclosed changed (renames, moved files) |',
    '',
    'Fail closed: whatever cannot be classified is `modified`, never dropped (see UNCLASSIFIED_CHANGE).',
    '',
    '## Gating (`--fail-on`)',
    '',
    'Exit code 1 when a change reaches the threshold, else 0:',
    '',
    '| `--fail-on` | fails on |',
    '|---|---|',
    '| `weakening` (default) | any weakening or modified change (modified counts as a weakening) |',
    '| `modified` | the same as `weakening`: modified is never ranked below weakening |',
    '| `any` | any change except neutral ones |',
    '| `none` | never |',
    '',
    '## Orders',
    '',
    '- Types: the disclosure order (`any`/`unknown` on top; a literal is narrower than its primitive; unions by members; arrays covariant; objects by keys; optional is narrower than required; opaque library types equal only to themselves). Type text that cannot be parsed is compared as a string: unequal means modified.',
    '- Redaction: `orders.redaction`, weakest first (default `none, mask, truncate, hash, tokenize, drop`). A mode outside the list: modified.',
    '- Classification: `unclassified` below `orders.classification` (default `public, internal, pseudonymous, personal, sensitive, secret`). A level outside the list: modified.',
    '- Guard arguments: `orders.guardArgs["<guard>.<param>"]`, either a list weakest first or `"higher-is-stronger"` / `"lower-is-stronger"` for numbers. No order, a value outside it, or a non-literal argument (`<dynamic>`, `<param#i>`, `<var:x>`, `<expr:…>`): modified.',
    '',
    '## Rules',
    '',
  ];
  for (const [cat, title] of CATEGORY_TITLES) {
    const rules = RULES.filter((r) => r.category === cat);
    if (!rules.length) continue;
    out.push(`- ${title}: ${rules.map((r) => `[${r.id}](#${r.id.toLowerCase()})`).join(', ')}`);
  }
  out.push('');
  for (const [cat, title] of CATEGORY_TITLES) {
    const rules = RULES.filter((r) => r.category === cat);
    if (!rules.length) continue;
    out.push(`## ${title}`, '');
    for (const r of rules) out.push(renderRuleMarkdown(r));
  }
  return out.join('\n').replace(/\n+$/, '\n');
}
