import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findCycles, folderGraph, layerViolations } from '../scripts/check-layers.js';

test('the folder-level import graph of src/ has no cycles', () => {
  assert.equal(findCycles(folderGraph()), []);
});

test('infrastructure (util/, git/) imports no core folder, and nothing imports cli/', () => {
  assert.equal(layerViolations(folderGraph()), []);
});

test('the checker finds a cycle and a layer violation when there is one', () => {
  const graph = new Map([
    ['a', new Map([['b', 'src/a/x.ts']])],
    ['b', new Map([['a', 'src/b/y.ts']])],
    ['git', new Map([['extract', 'src/git/z.ts']])],
    ['extract/analysis', new Map([['extract/collectors', 'src/extract/analysis/w.ts']])],
  ]);
  assert.equal(findCycles(graph), [['a', 'b', 'a']]);
  assert.equal(layerViolations(graph), [
    'src/git/z.ts: git/ is infrastructure and must not import extract/',
    'src/extract/analysis/w.ts: extract/analysis/ must not import extract/collectors/',
  ]);
});

test('extract/analysis and extract/collectors are units of their own', () => {
  const graph = folderGraph();
  assert.ok(graph.get('extract/collectors')?.has('extract/analysis'));
  assert.ok(graph.get('extract')?.has('extract/collectors'));
});

test.run();
