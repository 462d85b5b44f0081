#!/usr/bin/env node
// The folder-level import graph of src/ must have no cycles, and infrastructure (util/, git/) and the leaf
// modules (errors.ts, version.ts) must not import the core. Prints the offending edges and exits 1 when broken.
// Used by test/layers.test.js and by .ci/run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Folders (or top-level modules) that may only import each other and these. */
export const INFRASTRUCTURE = { util: ['errors', 'util'], git: ['errors', 'util', 'git'], errors: [], version: [] };

/** Subfolders that are units of their own: the analysis services must not import the collectors. */
const SUBUNITS = new Set(['extract/analysis', 'extract/collectors']);
export const FORBIDDEN = [['extract/analysis', 'extract/collectors']];

function unitOf(file) {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length > 2 && SUBUNITS.has(`${rel[0]}/${rel[1]}`)) return `${rel[0]}/${rel[1]}`;
  return rel.length === 1 ? rel[0].replace(/\.(ts|js)$/, '') : rel[0];
}

function listTs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** @returns {Map<string, Map<string, string>>} unit -> (imported unit -> one importing file, for messages) */
export function folderGraph(src = SRC) {
  const graph = new Map();
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const file of listTs(src)) {
    const from = unitOf(file);
    if (!graph.has(from)) graph.set(from, new Map());
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2];
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(src + path.sep)) continue;
      const to = unitOf(target);
      if (to !== from && !graph.get(from).has(to)) graph.get(from).set(to, path.relative(path.dirname(src), file));
    }
  }
  return graph;
}

/** Every elementary cycle found by DFS, reported once per strongly connected back edge. */
export function findCycles(graph) {
  const cycles = [];
  const state = new Map();
  const stack = [];
  const visit = (u) => {
    state.set(u, 1);
    stack.push(u);
    for (const v of [...(graph.get(u)?.keys() ?? [])].sort()) {
      if (state.get(v) === 1) cycles.push([...stack.slice(stack.indexOf(v)), v]);
      else if (!state.has(v)) visit(v);
    }
    stack.pop();
    state.set(u, 2);
  };
  for (const u of [...graph.keys()].sort()) if (!state.has(u)) visit(u);
  return cycles;
}

export function layerViolations(graph) {
  const out = [];
  for (const [from, allowed] of Object.entries(INFRASTRUCTURE)) {
    for (const [to, file] of graph.get(from) ?? []) {
      if (!allowed.includes(to)) out.push(`${file}: ${from}/ is infrastructure and must not import ${to}/`);
    }
  }
  for (const [from, to] of FORBIDDEN) {
    const file = graph.get(from)?.get(to);
    if (file) out.push(`${file}: ${from}/ must not import ${to}/`);
  }
  for (const [from, edges] of graph) {
    if (edges.has('cli')) out.push(`${edges.get('cli')}: ${from}/ imports cli/ (cli/ is wiring: nothing imports it)`);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const graph = folderGraph();
  const problems = [
    ...findCycles(graph).map((c) => `import cycle between folders: ${c.join(' -> ')} (${graph.get(c[0]).get(c[1])})`),
    ...layerViolations(graph),
  ];
  for (const p of problems) console.error(p);
  if (problems.length > 0) process.exit(1);
  console.log(`layers: ${graph.size} folders, no cycles, infrastructure imports no core`);
}
