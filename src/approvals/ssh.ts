/**
 * SSH signatures (`ssh-keygen -Y sign|verify`), the mechanism git uses for
 * SSH-signed commits, under the namespace `policydrift` so a signature made
 * for git or anything else cannot be replayed as an approval. Release
 * registry events use their own namespace (`policydrift-release`), so an
 * approval can never be replayed as a registry event or the other way round.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { UserError } from '../errors.js';

export const SIGNATURE_NAMESPACE = 'policydrift';
const TIMEOUT_MS = 60_000;

export interface SignatureOptions {
  /** The `-n` namespace (default `policydrift`, approvals). */
  namespace?: string;
  /**
   * Judge the allowed-signers `valid-after`/`valid-before` options at this
   * instant (`ssh-keygen -O verify-time=`, format YYYYMMDDHHMMSSZ) instead
   * of now.
   */
  verifyTime?: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Why it failed (ssh-keygen's message), or "" when ok. */
  reason: string;
}

function sshEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_ALL: 'C' };
  // SSH_AUTH_SOCK lets `-f key.pub` sign through an agent.
  for (const k of ['PATH', 'HOME', 'SSH_AUTH_SOCK', 'SYSTEMROOT'] as const) {
    if (process.env[k] !== undefined) env[k] = process.env[k];
  }
  return env;
}

/** A private (0700) temp dir, removed after `fn` whatever happens. */
function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policydrift-ssh-'));
  try {
    fs.chmodSync(dir, 0o700);
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function sshKeygen(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh-keygen', args, {
    env: sshEnv(),
    encoding: 'utf8',
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: TIMEOUT_MS,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot run ssh-keygen: ${code ?? r.error.message}`, {
      hint: code === 'ENOENT' ? 'install OpenSSH 8.2 or later (ssh-keygen -Y)' : undefined,
    });
  }
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function lastLine(s: string): string {
  const lines = s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** An identity must be one allowed_signers principal: no spaces, commas or control characters. */
export function identityProblem(identity: unknown): string | null {
  if (typeof identity !== 'string' || identity === '') return 'identity must be a non-empty string';
  if (/[\s,"*?!\u0000-\u001f\u007f]/.test(identity) || identity.startsWith('-')) {
    return `identity ${JSON.stringify(identity)} must be a single principal (no spaces, commas, quotes, wildcards or a leading "-")`;
  }
  return null;
}

/**
 * Sign `message` (the digest string, exact bytes, no newline) with the SSH key
 * at `keyPath` (a private key, or a public key whose private half is in the
 * agent). Returns the armored `-----BEGIN SSH SIGNATURE-----` text.
 */
export function signMessage(message: string, keyPath: string, opts: SignatureOptions = {}): string {
  const key = path.resolve(keyPath);
  if (!fs.existsSync(key))
    throw new UserError(`${keyPath}: SSH key not found`, { hint: 'pass the path of your SSH signing key' });
  return withTempDir((dir) => {
    const msg = path.join(dir, 'message');
    fs.writeFileSync(msg, message, { mode: 0o600 });
    const r = sshKeygen(['-Y', 'sign', '-f', key, '-n', opts.namespace ?? SIGNATURE_NAMESPACE, msg]);
    const sigFile = `${msg}.sig`;
    if (r.status !== 0 || !fs.existsSync(sigFile)) {
      throw new UserError(`ssh-keygen could not sign with ${keyPath}: ${lastLine(r.stderr) || `exit ${r.status}`}`, {
        hint: 'a passphrase-protected key needs ssh-agent (pass the .pub path) or a terminal',
      });
    }
    const sig = fs.readFileSync(sigFile, 'utf8');
    if (!sig.includes('-----BEGIN SSH SIGNATURE-----'))
      throw new UserError('ssh-keygen wrote an unexpected signature file');
    return sig.endsWith('\n') ? sig : `${sig}\n`;
  });
}

/**
 * Verify that `signature` over `message` was made, in namespace
 * `policydrift` (or `opts.namespace`), by a key that `allowedSignersText` (OpenSSH allowed_signers
 * format) lists for `identity`. Never throws for a bad signature.
 */
export function verifySignature(
  message: string,
  signature: string,
  identity: string,
  allowedSignersText: string,
  opts: SignatureOptions = {},
): VerifyResult {
  const namespace = opts.namespace ?? SIGNATURE_NAMESPACE;
  const bad = identityProblem(identity);
  if (bad) return { ok: false, reason: bad };
  if (typeof signature !== 'string' || !signature.includes('-----BEGIN SSH SIGNATURE-----')) {
    return { ok: false, reason: 'signature is not an armored SSH signature' };
  }
  return withTempDir((dir) => {
    const allowed = path.join(dir, 'allowed_signers');
    const sig = path.join(dir, 'message.sig');
    fs.writeFileSync(allowed, allowedSignersText.endsWith('\n') ? allowedSignersText : `${allowedSignersText}\n`, {
      mode: 0o600,
    });
    fs.writeFileSync(sig, signature, { mode: 0o600 });
    const args = ['-Y', 'verify', '-f', allowed, '-I', identity, '-n', namespace, '-s', sig];
    if (opts.verifyTime) args.push('-O', `verify-time=${opts.verifyTime}`);
    const r = sshKeygen(args, message);
    // Both the exit code and ssh-keygen's own confirmation must agree.
    const good = `Good "${namespace}" signature for ${identity} with `;
    if (r.status === 0 && (r.stdout + r.stderr).split('\n').some((l) => l.startsWith(good)))
      return { ok: true, reason: '' };
    const why = lastLine(r.stderr) || lastLine(r.stdout) || `ssh-keygen exit ${r.status}`;
    return { ok: false, reason: `signature does not verify for ${identity} against the allowed signers: ${why}` };
  });
}

/**
 * The principals that `allowedSignersText` lists for the key that made
 * `signature` (`ssh-keygen -Y find-principals`), judged at `verifyTime`
 * (default now). Empty when none.
 */
export function findPrincipals(signature: string, allowedSignersText: string, opts: SignatureOptions = {}): string[] {
  return withTempDir((dir) => {
    const allowed = path.join(dir, 'allowed_signers');
    const sig = path.join(dir, 'message.sig');
    fs.writeFileSync(allowed, allowedSignersText.endsWith('\n') ? allowedSignersText : `${allowedSignersText}\n`, {
      mode: 0o600,
    });
    fs.writeFileSync(sig, signature, { mode: 0o600 });
    const args = ['-Y', 'find-principals', '-f', allowed, '-s', sig];
    if (opts.verifyTime) args.push('-O', `verify-time=${opts.verifyTime}`);
    const r = sshKeygen(args);
    if (r.status !== 0) return [];
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && identityProblem(l) === null);
  });
}
