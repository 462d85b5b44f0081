#!/usr/bin/env node
// Regenerate docs/rules.md from the rule catalogue (build first: `npm run build`).
// `node scripts/gen-docs.js --check` exits 1 when the committed file is out of date.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderRulesReference } from '../dist/diff/rules/reference.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'docs', 'rules.md');
const text = renderRulesReference();

if (process.argv.includes('--check')) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (current !== text) {
    process.stderr.write('docs/rules.md is out of date; run `node scripts/gen-docs.js`\n');
    process.exitCode = 1;
  }
} else {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  process.stderr.write(`wrote ${path.relative(process.cwd(), file) || file}\n`);
}
