/**
 * `policydrift init` at a workspace root: find the member packages, extract
 * every covered one (its own policydrift.config.json, or listed in the root
 * config's `packages`), write their manifests and the workspace index, and
 * create the root release registry (one gate, one registry per repository).
 * Members not covered are listed with the command that covers them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/index.js';
import { EXIT } from '../errors.js';
import { canonicalJson } from '../manifest/index.js';
import { emptyRegistry } from '../registry/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { runWorkspaceExtract } from './extract.js';
import type { Workspace } from './index.js';

export function runWorkspaceInit(root: string, ws: Workspace, _opts: { force?: boolean }): number {
  const shown = (dir: string) => path.relative(process.cwd(), path.join(root, dir)).split(path.sep).join('/') || '.';
  const out: string[] = [
    `policydrift init: workspace root (${ws.sources.join(', ')}), ${ws.members.length} member package(s), ${ws.packages.length} covered`,
  ];
  for (const pkg of ws.packages)
    out.push(
      `  covered      ${pkg.name} (${shown(pkg.dir)})${pkg.hasConfig ? '' : ' — listed in the root "packages", default config'}`,
    );
  const uncovered = ws.members.filter((m) => !ws.packages.some((p) => p.dir === m.dir));
  for (const m of uncovered)
    out.push(
      `  not covered  ${m.name} (${shown(m.dir)}) — \`policydrift init --root ${shown(m.dir)}\` to cover it, or list it in "packages" of the root config`,
    );
  process.stdout.write(out.join('\n') + '\n');
  if (ws.packages.length === 0) {
    process.stdout.write(
      'Next: run `policydrift init --root <package>` in each package whose invariants you track, then `policydrift init` here again.\n',
    );
    return EXIT.pass;
  }
  const code = runWorkspaceExtract(root, { write: true });
  const registry = path.resolve(root, loadConfig(root).registry);
  if (!fs.existsSync(registry)) {
    writeFileAtomic(registry, canonicalJson(emptyRegistry()));
    process.stdout.write(`  created      ${shown(path.relative(root, registry))} (empty: no release recorded yet)\n`);
  }
  process.stdout.write(
    [
      'Next steps:',
      '  1. commit the manifests, the workspace index and the registry',
      '  2. add a `policydrift:extract` script to each package and the Turborepo or Nx task (docs/monorepo.md)',
      '  3. gate the repository at the root: `policydrift check --registry-ref origin/main` in CI; release with `policydrift release --profile <name>` at the root',
    ].join('\n') + '\n',
  );
  return code;
}
