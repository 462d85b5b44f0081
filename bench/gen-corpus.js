#!/usr/bin/env node
// Deterministic synthetic corpus: N files of realistic TypeScript with a few LE handlers, logging schemas,
// key guards and sinks spread through ordinary code and imports. Same seed + size => same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';

// 2: gated functions reach the sink through helper chains (one recursive), guards partly in a wrapper.
export const CORPUS_VERSION = 2;

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'account',
  'device',
  'session',
  'message',
  'contact',
  'group',
  'profile',
  'token',
  'receipt',
  'backup',
  'media',
  'invite',
  'policy',
  'quota',
  'region',
  'tenant',
  'audit',
  'report',
  'queue',
  'batch',
];
const cap = (s) => s[0].toUpperCase() + s.slice(1);

function fileName(i, perDir) {
  return `src/m${String(Math.floor(i / perDir)).padStart(3, '0')}/f${String(i % perDir).padStart(3, '0')}.ts`;
}

function relImport(from, to) {
  let r = path.posix.relative(path.posix.dirname(from), to).replace(/\.ts$/, '.js');
  if (!r.startsWith('.')) r = './' + r;
  return r;
}

function ordinaryFile(i, _n, rnd, perDir, special) {
  const me = fileName(i, perDir);
  const w = WORDS[i % WORDS.length];
  const W = cap(w) + i;
  const lines = [];
  const imports = [];
  const deps = [];
  for (let k = 0; k < 3 && i > 0; k++) {
    const j = Math.floor(rnd() * i);
    if (!deps.includes(j)) deps.push(j);
  }
  for (const j of deps) {
    const Wj = cap(WORDS[j % WORDS.length]) + j;
    imports.push(`import { ${Wj}Service, type ${Wj}Record } from '${relImport(me, fileName(j, perDir))}';`);
  }
  if (special.gated) {
    imports.push(`import { assertAttested, requireQuorum } from '${relImport(me, 'src/keys/guards.ts')}';`);
    imports.push(`import { loadKey, chainKey } from '${relImport(me, 'src/keys/material.ts')}';`);
  }
  if (special.logs) imports.push(`import { log } from '${relImport(me, 'src/logging/logger.ts')}';`);
  lines.push(...imports, '');
  lines.push(
    `export interface ${W}Record {`,
    `  id: string;`,
    `  createdAt: number;`,
    `  tags: string[];`,
    `  owner?: { id: string; region: '${WORDS[(i + 3) % 20]}' | 'global' };`,
    `  state: 'active' | 'suspended' | 'deleted';`,
    `}`,
    '',
  );
  lines.push(`export type ${W}Patch = Partial<Pick<${W}Record, 'tags' | 'state'>>;`, '');
  lines.push(`export class ${W}Service {`);
  lines.push(`  private readonly items = new Map<string, ${W}Record>();`);
  for (const j of deps) lines.push(`  private readonly dep${j} = new ${cap(WORDS[j % WORDS.length]) + j}Service();`);
  lines.push(`  get(id: string): ${W}Record | undefined {`, `    return this.items.get(id);`, `  }`);
  lines.push(
    `  put(rec: ${W}Record): void {`,
    `    this.items.set(rec.id, { ...rec, tags: [...rec.tags].sort() });`,
    `  }`,
  );
  lines.push(
    `  patch(id: string, p: ${W}Patch): ${W}Record {`,
    `    const cur = this.items.get(id);`,
    `    if (!cur) throw new Error('no ${w} ' + id);`,
    `    const next = { ...cur, ...p };`,
    `    this.items.set(id, next);`,
    `    return next;`,
    `  }`,
  );
  lines.push(
    `  list(filter: (r: ${W}Record) => boolean = () => true): ${W}Record[] {`,
    `    return [...this.items.values()].filter(filter).sort((a, b) => a.createdAt - b.createdAt);`,
    `  }`,
  );
  for (const j of deps) {
    const Wj = cap(WORDS[j % WORDS.length]) + j;
    lines.push(`  link${j}(id: string): ${Wj}Record | undefined {`, `    return this.dep${j}.get(id);`, `  }`);
  }
  lines.push(
    `  async sync(batch: ${W}Record[]): Promise<number> {`,
    `    let n = 0;`,
    `    for (const r of batch) {`,
    `      if (r.state === 'deleted') continue;`,
    `      this.put(r);`,
    `      n += 1;`,
    `    }`,
    `    return n;`,
    `  }`,
  );
  lines.push(`}`, '');
  lines.push(
    `export function summarize${W}(rs: ${W}Record[]): Record<string, number> {`,
    `  const out: Record<string, number> = {};`,
    `  for (const r of rs) for (const t of r.tags) out[t] = (out[t] ?? 0) + 1;`,
    `  return out;`,
    `}`,
    '',
  );
  if (special.gated) {
    lines.push(
      `/** @keyGated */`,
      `export async function rotate${W}(blob: Uint8Array, approvals: string[]): Promise<Uint8Array> {`,
    );
    if (special.gated === 2) lines.push(`  requireQuorum(approvals, 2);`);
    lines.push(
      `  await assertAttested('TEE_PROD');`,
      special.gated === 2 ? `  return chainKey(blob, 2);` : `  return loadKey(blob);`,
      `}`,
      '',
    );
  }
  if (special.logs) {
    lines.push(
      `export function touch${W}(id: string): void {`,
      `  log({ type: 'access', route: '/${w}/' + id, status: 200, clientIp: '0.0.0.0' });`,
      `}`,
      '',
    );
  }
  if (special.invariant)
    lines.push(
      `/** @invariant bench.${w}-${i} ${cap(w)} records in module ${i} are never shared across tenants. */`,
      `export const ${W}_TENANT_SCOPED = true;`,
      '',
    );
  const pad = Math.floor(rnd() * 4);
  for (let k = 0; k < pad; k++) {
    lines.push(
      `export const ${w}Limit${i}_${k} = ${Math.floor(rnd() * 1000)};`,
      `export function clamp${W}_${k}(x: number): number {`,
      `  return Math.max(0, Math.min(${w}Limit${i}_${k}, x));`,
      `}`,
      '',
    );
  }
  return lines.join('\n');
}

const FIXED = {
  'tsconfig.json':
    JSON.stringify(
      {
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ['src/**/*.ts'],
      },
      null,
      2,
    ) + '\n',
  'src/le/types.ts': `/** @invariant bench.le.closed LE requests only receive declared variants. */
export interface LeRequest { requestId: string; accountId: string; basis: 'SUBPOENA' | 'COURT_ORDER' }
interface Base { requestId: string }
export interface Subscriber extends Base { kind: 'SUBSCRIBER_INFO'; createdAt: string }
export interface Metadata extends Base { kind: 'ACCOUNT_METADATA'; lastSeenDay: string; devices: number }
export interface Ack extends Base { kind: 'PRESERVATION_ACK'; until: string }
export interface None extends Base { kind: 'NO_RECORDS' }
export interface Rejected extends Base { kind: 'REJECTED'; reason: 'INVALID' | 'JURISDICTION' }
export type LeResponse = Subscriber | Metadata | Ack | None | Rejected;
`,
  'src/le/handler.ts': `import type { LeRequest, LeResponse } from './types.js';
export async function handle_le_request(req: LeRequest): Promise<LeResponse> {
  if (req.basis === 'SUBPOENA') return { kind: 'SUBSCRIBER_INFO', requestId: req.requestId, createdAt: '2020-01-01' };
  return { kind: 'REJECTED', requestId: req.requestId, reason: 'INVALID' };
}
`,
  'src/logging/schemas.ts': `/** @logSchema @retentionDays 30 */
export interface AccessLog { type: 'access'; /** @classification internal */ route: string; /** @classification internal */ status: number; /** @classification personal @redact mask */ clientIp: string }
/** @logSchema @retentionDays 365 */
export interface AuditLog { type: 'audit'; /** @classification internal */ actor: string; /** @classification sensitive @redact hash */ subject: string }
/** @logSchema */
export interface ErrorLog { type: 'error'; /** @classification internal */ code: string; detail?: { /** @classification internal */ where: string } }
`,
  'src/logging/logger.ts': `import type { AccessLog, AuditLog, ErrorLog } from './schemas.js';
declare function write(s: string): void;
/** @logSink */
export function log(e: AccessLog | AuditLog | ErrorLog): void { write(JSON.stringify(e)); }
`,
  'src/keys/guards.ts': `/** @keyGuard */
export async function assertAttested(level: 'TEE' | 'TEE_PROD'): Promise<void> { if (!level) throw new Error('attest'); }
/** @keyGuard */
export function requireQuorum(approvals: string[], threshold: number): void { if (new Set(approvals).size < threshold) throw new Error('quorum'); }
`,
  'src/keys/material.ts': `import { unwrapKey } from './store.js';
export async function openKey(blob: Uint8Array): Promise<Uint8Array> { return unwrapKey(blob); }
export async function loadKey(blob: Uint8Array): Promise<Uint8Array> { return openKey(blob); }
export async function chainKey(blob: Uint8Array, n: number): Promise<Uint8Array> { return n > 0 ? chainKey(blob, n - 1) : loadKey(blob); }
`,
  'src/keys/store.ts': `declare function hsm(b: Uint8Array): Promise<Uint8Array>;
/** @keySink */
export async function unwrapKey(blob: Uint8Array): Promise<Uint8Array> { return hsm(blob); }
`,
};

/** Generate a corpus of `n` files (the fixed special files included) into `dir`. */
export function generateCorpus(dir, n, seed = 42) {
  const rnd = mulberry32(seed + n);
  const perDir = 50;
  fs.rmSync(dir, { recursive: true, force: true });
  const files = { ...FIXED };
  const ordinary = n - (Object.keys(FIXED).length - 1);
  for (let i = 0; i < ordinary; i++) {
    const special = {
      gated: i % 97 === 5 ? 1 : i % 97 === 50 ? 2 : 0,
      logs: i % 61 === 7,
      invariant: i % 211 === 3,
    };
    files[fileName(i, perDir)] = ordinaryFile(i, ordinary, rnd, perDir, special);
  }
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  fs.writeFileSync(path.join(dir, '.corpus'), JSON.stringify({ version: CORPUS_VERSION, n, seed }) + '\n');
  return Object.keys(files).filter((f) => f.endsWith('.ts')).length;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [dir, n, seed] = process.argv.slice(2);
  if (!dir || !n) {
    console.error('usage: node bench/gen-corpus.js <dir> <files> [seed]');
    process.exit(2);
  }
  console.log(`${generateCorpus(path.resolve(dir), Number(n), seed ? Number(seed) : 42)} .ts files in ${dir}`);
}
