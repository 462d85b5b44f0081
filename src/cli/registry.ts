import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { EXIT, UserError } from '../errors.js';
import { repoRoot } from '../git/run.js';
import type { Registry, RegistryEvent, RegistryVerification, ReleaseSigners } from '../registry/index.js';
import { resolveRoot } from './extract.js';
import { rootOption } from './options.js';

/** The registry, config and manifest modules (JSON Schema validation), loaded by the action that runs. */
type Loaded = typeof import('../registry/index.js') &
  typeof import('../config/index.js') &
  typeof import('../manifest/index.js');
let loaded: Loaded | undefined;
async function load(): Promise<Loaded> {
  const [registry, config, manifest] = await Promise.all([
    import('../registry/index.js'),
    import('../config/index.js'),
    import('../manifest/index.js'),
  ]);
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
  trustedRef?: string;
}

/** The registry file: --registry, else config "registry" relative to the project root. */
function registryPath(flags: RegistryFlags): { file: string; label: string; root: string } {
  const root = resolveRoot(flags.root);
  const file = flags.registry
    ? path.resolve(flags.registry)
    : path.resolve(root, mods().loadConfig(root, flags.config).registry);
  return { file, label: path.relative(process.cwd(), file) || file, root };
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--registry <file>', 'registry file (default: config "registry", release/registry.json under the root)')
    .addOption(rootOption())
    .option('--config <file>', 'config file (default: <root>/policydrift.config.json when present)')
    .option(
      '--trusted-ref <rev>',
      "check event signatures against the release signers of this ref (the protected branch) instead of the working tree's",
    );
}

/**
 * The release signers that event signatures are checked against: config
 * "releaseSigners" as it is at --trusted-ref, else in the working tree.
 */
async function releaseSigners(flags: RegistryFlags, root: string): Promise<ReleaseSigners> {
  if (flags.trustedRef) {
    const [{ repoPrefix, resolveCommit }, { releaseSignersAt }, { readFileAtRef }] = await Promise.all([
      import('../git/run.js'),
      import('../registry/trust.js'),
      import('../git/files.js'),
    ]);
    const repo = repoRoot(root);
    resolveCommit(repo, flags.trustedRef);
    const sub = repoPrefix(root);
    const cfgRel = sub ? path.posix.join(sub, mods().CONFIG_FILE) : mods().CONFIG_FILE;
    const text = readFileAtRef(repo, flags.trustedRef, cfgRel);
    const cfg = text === null ? mods().defaultConfig() : mods().parseConfigText(text, `${flags.trustedRef}:${cfgRel}`);
    return releaseSignersAt(repo, flags.trustedRef, flags.trustedRef, sub, cfg);
  }
  const cfg = mods().loadConfig(root, flags.config);
  if (!cfg.releaseSigners)
    return { text: null, source: `no "releaseSigners" in ${cfg.source ?? 'the config (none found)'}` };
  const file = path.resolve(root, cfg.releaseSigners);
  const label = path.relative(process.cwd(), file) || file;
  return fs.existsSync(file)
    ? { text: fs.readFileSync(file, 'utf8'), source: label }
    : { text: null, source: `the release signers file ${label} does not exist` };
}

/** Verify the chain and every signature; print the first problem (and legacy warning) on stderr. */
function reportVerification(label: string, v: RegistryVerification, setExit: (code: number) => void): boolean {
  if (!v.ok) {
    process.stderr.write(`policydrift: ${label} is broken at ${v.problem!.message}\n`);
    if (v.problem!.hint) process.stderr.write(`  hint: ${v.problem!.hint}\n`);
    setExit(EXIT.policy);
    return false;
  }
  if (v.legacy > 0)
    process.stderr.write(
      `policydrift: warning: ${label}: ${v.legacy} unsigned event(s) accepted as a legacy prefix (written before registry events were signed)${v.legacy === v.events ? '; the next signed release seals it' : ''}\n`,
    );
  return true;
}

export function registerRegistry(program: Command, setExit: (code: number) => void): void {
  const reg = program
    .command('registry')
    .description('Inspect and verify the release registry (an append-only, hash-chained event log)');

  withCommonOptions(
    reg
      .command('list')
      .description('List the events of the registry as a table; the last active release is marked with *'),
  ).action(async (flags: RegistryFlags) => {
    const { readRegistryFile, verifyRegistry } = await load();
    const { file, label, root } = registryPath(flags);
    const registry = readRegistryFile(file, label);
    process.stdout.write(formatTable(registry));
    const v = verifyRegistry(registry, { signers: await releaseSigners(flags, root) });
    if (reportVerification(label, v, setExit)) setExit(EXIT.pass);
  });

  withCommonOptions(
    reg.command('show <version>').description('Print the release event of <version> as JSON (its status on stderr)'),
  ).action(async (version: string, flags: RegistryFlags) => {
    const { readRegistryFile, findRelease, canonicalJson, releaseStatus, lastActiveRelease } = await load();
    const { verifyRegistry } = mods();
    const { file, label, root } = registryPath(flags);
    const registry = readRegistryFile(file, label);
    // A forged log never reports a status: verify first.
    if (!reportVerification(label, verifyRegistry(registry, { signers: await releaseSigners(flags, root) }), setExit))
      return;
    const release = findRelease(registry, version);
    if (!release) {
      const known = registry.events.filter((e) => e.type === 'release').map((e) => e.version);
      throw new UserError(`${label}: no release ${version}`, {
        hint: known.length
          ? `recorded releases: ${known.slice(-10).join(', ')}`
          : 'the registry records no release yet',
      });
    }
    process.stdout.write(canonicalJson(release));
    const st = releaseStatus(registry, release);
    const active = lastActiveRelease(registry) === release;
    if (st.state === 'active')
      process.stderr.write(
        `policydrift: ${version} is ${active ? 'the last active release' : 'active (a newer release exists)'}\n`,
      );
    else if (st.state === 'revoked')
      process.stderr.write(
        `policydrift: ${version} was revoked at seq ${st.seq}${st.reason ? `: ${st.reason}` : ''}\n`,
      );
    else
      process.stderr.write(
        `policydrift: ${version} was superseded at seq ${st.seq}${st.by ? ` by ${st.by}` : ''}${st.reason ? `: ${st.reason}` : ''}\n`,
      );
    setExit(EXIT.pass);
  });

  withCommonOptions(
    reg
      .command('verify')
      .description(
        'Verify the hash chain, sequence, references and each event\'s signature (release signers, config "releaseSigners"); in a git checkout also that each release commit exists and re-extracts to the recorded digest',
      )
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
      process.stderr.write(
        `policydrift: ${root} is not in a git repository: release commits and digests are not checked\n`,
      );
    }
    // Re-extraction needs the TypeScript compiler: loaded only here.
    const extract =
      repoDir && flags.extract !== false
        ? (await import('../release/extract-check.js')).extractDigestCheck(repoDir)
        : undefined;
    const signers = await releaseSigners(flags, root);
    const v = verifyRegistry(registry, { repoDir, extract, signers });
    if (!reportVerification(label, v, setExit)) return;
    const parts = [
      `${v.events} event(s), chain intact`,
      `${v.signaturesChecked} signature(s) valid (${signers.source})`,
    ];
    if (repoDir) parts.push(`${v.commitsChecked} release commit(s) present`);
    if (repoDir && flags.extract !== false) parts.push(`${v.digestsChecked} manifest digest(s) re-derived`);
    process.stderr.write(`policydrift: ${label} OK: ${parts.join('; ')}\n`);
    for (const s of v.skipped)
      process.stderr.write(`  - seq ${s.seq} (release ${s.version}): digest not re-derived: ${s.reason}\n`);
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
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

function row(registry: Registry, e: RegistryEvent, active: RegistryEvent | null): string[] {
  if (e.type === 'release') {
    const st = mods().releaseStatus(registry, e);
    const status =
      e === active
        ? '* last active'
        : st.state === 'active'
          ? 'active'
          : st.state === 'revoked'
            ? `revoked (seq ${st.seq})`
            : `superseded (seq ${st.seq}${st.by ? ` by ${st.by}` : ''})`;
    return [
      String(e.seq),
      e.type,
      e.version,
      e.git_commit.slice(0, 12),
      e.profile,
      `v${e.manifestVersion} ${e.manifestDigest.slice(0, 19)}`,
      e.time,
      status,
    ];
  }
  const detail = e.type === 'supersede' && e.by ? `by ${e.by}` : '';
  const reason = e.reason ? `${detail ? '; ' : ''}${e.reason}` : '';
  return [String(e.seq), e.type, e.version, '-', '-', '-', e.time, `${detail}${reason}`];
}
