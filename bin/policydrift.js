#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 caches compiled code (TypeScript and ts-morph are large) across runs; Node 20 has no such cache.
if (typeof module.enableCompileCache === 'function') module.enableCompileCache();

const { main } = await import('../dist/cli/index.js');
main(process.argv).then((code) => {
  process.exitCode = code;
});
