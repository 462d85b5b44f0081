import * as path from 'node:path';
import type { Command } from 'commander';
import { EXIT, UserError } from '../errors.js';
import { repoRoot } from '../git/run.js';
import type { Registry, RegistryEvent } from '../registry/index.js';
import { resolveRoot } from './extract.js';

/** The registry, config and manifest modules (JSON Schema validation), loaded by the action that runs. */
type Loaded = typeof import('../registry/index.js') & typeof import('../config/index.js') & typeof import('../manifest/index.js');
let loaded: Loaded | undefined;
async function load(): Promise<Loaded> {
  const [registry, config, manifest] = await Promise.all([import('../registry/index.js'), import('../config/index.js'), import('../manifest/index.js')]);
  loaded = { ...registry, ...config, ...manifest };
  return loaded;
}
function mods(): Loaded {
  if (!loaded) throw new Error('the registry modules are not loaded');
  return loaded;
}

interface RegistryFlags {
  registry?: string;
  root?: string;
  config?: string;
  extract?: boolean;
}

/** The registry file: --registry, else config "registry" relative to the project root. */
function registryPath(flags: RegistryFlags): { file: string; label: string; root: string } {
  const root = resolveRoot(flags.root);
  const file = flags.registry ? path.resolve(flags.registry) : path.resolve(root, mods().loadConfig(root, flags.config).registry);
  return { file, label: path.relative(process.cwd(), file) || file, root };
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--registry <file>', 'registry file (default: config "registry", release/registry.json under the root)')
    .option('--root <dir>', 'project root (where tsconfig.json and policydrift.config.json are)')
    .option('--config <file>', 'config file (default: <root>/policydrift.config.json when present)');
}

export function registerRegistry(program: Command, setExit: (code: number) => void): void {
  const reg = program.command('registry').description('Inspect and verify the release registry (an append-only, hash-chained event log)');

  withCommonOptions(reg.command('list').description('List the events of the registry as a table; the last active release is marked with *')).action(
    async (flags: RegistryFlags) => {
      const { readRegistryFile } = await load();
      const { file, label } = registryPath(flags);
      process.stdout.write(formatTable(readRegistryFile(file, label)));
      setExit(EXIT.pass);
    },
  );

  withCommonOptions(reg.command('show <version>').description('Print the release event of <version> as JSON (its status on stderr)')).action(
    async (version: string, flags: RegistryFlags) => {
      const { readRegistryFile, findRelease, canonicalJson, releaseStatus, lastActiveRelease } = await load();
      const { file, label } = registryPath(flags);
      const registry = readRegistryFile(file, label);
      const release = findRelease(registry, version);
      if (!release) {
        const known = registry.events.filter((e) => e.type === 'release').map((e) => e.version);
        throw new UserError(`${label}: no release ${version}`, {
          hint: known.length ? `recorded releases: ${known.slice(-10).join(', ')}` : 'the registry records no release yet',
        });
      }
      process.stdout.write(canonicalJson(release));
      const st = releaseStatus(registry, release);
      const active = lastActiveRelease(registry) === release;
      if (st.state === 'active') process.stderr.write(`policydrift: ${version} is ${active ? 'the last active release' : 'active (a newer release exists)'}\n`);
      else if (st.state === 'revoked') process.stderr.write(`policydrift: ${version} was revoked at seq ${st.seq}${st.reason ? `: ${st.reason}` : ''}\n`);
      else process.stderr.write(`policydrift: ${version} was superseded at seq ${st.seq}${st.by ? ` by ${st.by}` : ''}${st.reason ? `: ${st.reason}` : ''}\n`);
      setExit(EXIT.pass);
    },
  );

  withCommonOptions(
    reg
      .command('verify')
      .description('Verify the hash chain, sequence and references; in a git checkout also that each release commit exists and re-extracts to the recorded digest')
      .option('--no-extract', 'do not re-extract manifests at release commits'),
  ).action(async (flags: RegistryFlags) => {
    const { readRegistryFile, verifyRegistry } = await load();
    const { file, label, root } = registryPath(flags);
    const registry = readRegistryFile(file, label);
    let repoDir: string | undefined;
    try {
      repoRoot(root);
      repoDir = root;
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      process.stderr.write(`policydrift: ${root} is not in a git repository: release commits and digests are not checked\n`);
    }
    // Re-extraction needs the TypeScript compiler: loaded only here.
    const extract = repoDir && flags.extract !== false ? (await import('../registry/extract-check.js')).extractDigestCheck(repoDir) : undefined;
    const v = verifyRegistry(registry, { repoDir, extract });
    if (!v.ok) {
      process.stderr.write(`policydrift: ${label} is broken at ${v.problem!.message}\n`);
      if (v.problem!.hint) process.stderr.write(`  hint: ${v.problem!.hint}\n`);
      setExit(EXIT.policy);
      return;
    }
    const parts = [`${v.events} event(s), chain intact`];
    if (repoDir) parts.push(`${v.commitsChecked} release commit(s) present`);
    if (repoDir && flags.extract !== false) parts.push(`${v.digestsChecked} manifest digest(s) re-derived`);
    process.stderr.write(`policydrift: ${label} OK: ${parts.join('; ')}\n`);
    for (const s of v.skipped) process.stderr.write(`  - seq ${s.seq} (release ${s.version}): digest not re-derived: ${s.reason}\n`);
    setExit(EXIT.pass);
  });
}

/** The registry as a fixed-width table, oldest first. */
export function formatTable(registry: Registry): string {
  if (registry.events.length === 0) return '(the registry has no events)\n';
  const { lastActiveRelease } = mods();
  const active = lastActiveRelease(registry);
  const rows: string[][] = [['SEQ', 'TYPE', 'VERSION', 'COMMIT', 'PROFILE', 'MANIFEST', 'TIME', 'STATUS']];
  for (const e of registry.events) rows.push(row(registry, e, active));
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

function row(registry: Registry, e: RegistryEvent, active: RegistryEvent | null): string[] {
  if (e.type === 'release') {
    const st = mods().releaseStatus(registry, e);
    const status = e === active ? '* last active' : st.state === 'active' ? 'active' : st.state === 'revoked' ? `revoked (seq ${st.seq})` : `superseded (seq ${st.seq}${st.by ? ` by ${st.by}` : ''})`;
    return [String(e.seq), e.type, e.version, e.git_commit.slice(0, 12), e.profile, `v${e.manifestVersion} ${e.manifestDigest.slice(0, 19)}`, e.time, status];
  }
  const detail = e.type === 'supersede' && e.by ? `by ${e.by}` : '';
  const reason = e.reason ? `${detail ? '; ' : ''}${e.reason}` : '';
  return [String(e.seq), e.type, e.version, '-', '-', '-', e.time, `${detail}${reason}`];
}
