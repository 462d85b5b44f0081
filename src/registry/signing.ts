/**
 * Signed registry events. The hash chain alone is self-certifying: anyone who
 * can write the file can append a well-chained event. So every event is
 * signed when it is written (`ssh-keygen -Y sign`, namespace
 * `policydrift-release`) by a key of the release signers file that the config
 * names ("releaseSigners"), and readers check the signature against that file
 * as it is at the trusted ref.
 */
import { canonicalJson } from '../manifest/index.js';
import { findPrincipals, signMessage, verifySignature } from '../approvals/ssh.js';
import { UserError } from '../errors.js';
import type { RegistryEvent } from './types.js';

/** Its own namespace: an approval signature can never pass as a registry event, nor the reverse. */
export const RELEASE_SIGNATURE_NAMESPACE = 'policydrift-release';

/** The environment variable naming the release job's private key file (a CI secret). */
export const SIGNING_KEY_ENV = 'POLICYDRIFT_SIGNING_KEY';

/** The release signers a reader judges events with. */
export interface ReleaseSigners {
  /** Allowed-signers text; null when none is configured or the file is missing. */
  text: string | null;
  /** Where it came from, for messages (`main:.policydrift/release_signers`, or why there is none). */
  source: string;
}

export interface SigningKey {
  /** Private key file (or a .pub whose private half is in ssh-agent). */
  keyPath: string;
  /** The principal the release signers file lists for this key. */
  identity: string;
}

/** What is signed: the event's canonical JSON without `signature` (so seq, prev, time and signer are covered). */
export function signedPayload(event: RegistryEvent): string {
  const { signature: _signature, ...rest } = event;
  return canonicalJson(rest);
}

/** An RFC 3339 UTC time as ssh-keygen's verify-time (YYYYMMDDHHMMSSZ). */
export function sshTime(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(iso);
  if (!m) throw new UserError(`invalid event time ${JSON.stringify(iso)}`);
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}Z`;
}

/** The event with `signer` set and signed by `key`. */
export function signEvent<E extends RegistryEvent>(event: E, key: SigningKey): E {
  const { signature: _old, ...rest } = event;
  const unsigned = { ...rest, signer: key.identity } as E;
  return {
    ...unsigned,
    signature: signMessage(signedPayload(unsigned), key.keyPath, { namespace: RELEASE_SIGNATURE_NAMESPACE }),
  };
}

export function isSigned(event: RegistryEvent): boolean {
  return event.signature !== undefined || event.signer !== undefined;
}

/**
 * Why `event` is not validly signed by a release signer, or null when it is.
 * The allowed-signers validity options (`valid-before`, `valid-after`) are
 * judged at the event's own (signed) time, so a retired key keeps verifying
 * the events it signed while it was valid.
 */
export function signatureProblem(event: RegistryEvent, signers: ReleaseSigners): string | null {
  if (!event.signature || !event.signer) return 'is not signed by a release signer';
  if (signers.text === null)
    return `is signed by ${event.signer}, but there is no release signers file to check it against (${signers.source})`;
  const v = verifySignature(signedPayload(event), event.signature, event.signer, signers.text, {
    namespace: RELEASE_SIGNATURE_NAMESPACE,
    verifyTime: sshTime(event.time),
  });
  return v.ok ? null : `is not validly signed by a release signer of ${signers.source}: ${v.reason}`;
}

/**
 * The identity under which `keyPath` signs registry events: the principal the
 * release signers file lists for it. Fails (exit 2) before anything is built
 * when the key cannot sign or is not a release signer.
 */
export function signingIdentity(keyPath: string, signers: ReleaseSigners): string {
  if (signers.text === null) {
    throw new UserError(`cannot sign release events: ${signers.source}`, {
      hint: 'set "releaseSigners" in policydrift.config.json to an allowed-signers file listing the release key (`release@ci ssh-ed25519 AAAA…`), commit it on the release branch, then release',
    });
  }
  if (!signers.text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
    throw new UserError(`cannot sign release events: ${signers.source} lists no release signer (only comments)`, {
      hint: 'add the release key\'s public key as `release@ci <key type> <public key>` (e.g. `echo "release@ci $(ssh-keygen -y -f release_key)" >> <release signers file>`), commit it on the release branch, then release',
    });
  }
  const probe = signMessage(`policydrift release signer check ${new Date().toISOString()}`, keyPath, {
    namespace: RELEASE_SIGNATURE_NAMESPACE,
  });
  const now = sshTime(new Date().toISOString());
  const principals = findPrincipals(probe, signers.text, { namespace: RELEASE_SIGNATURE_NAMESPACE, verifyTime: now });
  if (principals.length === 0) {
    throw new UserError(`${keyPath}: this key is not a (currently valid) release signer in ${signers.source}`, {
      hint: 'add its public key to the release signers file as `<identity> <key type> <public key>` (a CONFIG_CHANGED that must be approved), or pass the key that is listed there',
    });
  }
  return principals.sort()[0]!;
}
