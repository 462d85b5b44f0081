#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 caches compiled code (TypeScript and ts-morph are large) across runs; Node 20 has no such cache.
const nodeModule = /** @type {{ enableCompileCache?: () => unknown }} */ (/** @type {unknown} */ (module));
if (typeof nodeModule.enableCompileCache === 'function') nodeModule.enableCompileCache();

const { main } = await import('../dist/cli/index.js');
main(process.argv).then((code) => {
  process.exitCode = code;
});
