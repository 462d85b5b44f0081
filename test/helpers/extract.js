// Shared helpers for the extractor tests: fixture projects on disk or in memory (the path a git tree takes).
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryFileSystemHost } from 'ts-morph';
import { JSDOC_NEEDLES } from '../../dist/extract/index.js';
import { openProject } from '../../dist/extract/analysis/program.js';
import { defaultConfig } from '../../dist/config/index.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'extract');

/** Every file of a fixture, keyed by relative POSIX path. */
export function fixtureFiles(name) {
  const root = path.join(FIXTURES, name);
  const out = {};
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else out[path.relative(root, abs).split(path.sep).join('/')] = fs.readFileSync(abs, 'utf8');
    }
  };
  walk(root);
  return out;
}

/** Run `extractor` on a fixture directory. */
export function onDisk(extractor, name, config = defaultConfig()) {
  return extractor(openProject({ root: path.join(FIXTURES, name), config, jsDocNeedles: JSDOC_NEEDLES }));
}

/** Run `extractor` on an in-memory copy of `files`. */
export function inMemory(extractor, files, config = defaultConfig()) {
  const host = new InMemoryFileSystemHost();
  for (const [rel, text] of Object.entries(files)) host.writeFileSync(`/repo/${rel}`, text);
  return extractor(openProject({ root: '/repo', config, fileSystem: host, jsDocNeedles: JSDOC_NEEDLES }));
}

/** Replace text in one file of a copy; fails loudly when the anchor is missing so a test cannot pass vacuously. */
export function edit(files, rel, from, to) {
  assert.ok(files[rel]?.includes(from), `${rel} does not contain ${JSON.stringify(from)}`);
  return { ...files, [rel]: files[rel].replace(from, to) };
}
