// Builders for diff tests: manifests with defaults filled in and a valid digest (via buildManifest).
import { buildManifest } from '../../dist/manifest/index.js';
import { defaultConfig } from '../../dist/config/index.js';

export const field = (type, optional = false) => ({ type, optional });
export const logField = (type, o = {}) => ({
  type,
  optional: false,
  classification: 'unclassified',
  redaction: 'none',
  ...o,
});
export const handler = (o = {}) => ({
  discriminant: 'kind',
  variants: {},
  request: { requiredFields: {}, unbounded: false },
  unbounded: false,
  unboundedReasons: [],
  ...o,
});
export const schema = (o = {}) => ({ fields: {}, open: false, openReasons: [], retentionDays: 30, ...o });
export const guardDecl = (o = {}) => ({ async: false, params: [], implDigest: `sha256:${'a'.repeat(64)}`, ...o });
export const dg = (guard, args = {}, awaited = true) => ({ guard, args, awaited });
export const site = (fn, sink, guards = []) => ({ function: fn, sink, guards });
export const siteKey = (fn, sink) => `${fn} -> ${sink}`;

export function invariants(p = {}) {
  return {
    le: { handlers: p.handlers ?? {} },
    logging: { schemas: p.schemas ?? {} },
    keygate: { guards: p.guards ?? {}, sinks: p.sinks ?? {}, sites: p.sites ?? {}, escapes: p.escapes ?? {} },
    privacy: { invariants: p.privacy ?? {} },
  };
}

export function manifest(parts = {}, locations = {}) {
  return buildManifest(invariants(parts), locations);
}

/** A realistic baseline: one LE handler, one audit schema, two guards, two sinks, two sites, one escape, one invariant. */
export function baseParts() {
  return {
    handlers: {
      handle_le_request: handler({
        discriminant: 'kind',
        variants: {
          ACCOUNT_METADATA: {
            fields: {
              kind: field('"ACCOUNT_METADATA"'),
              email: field('string'),
              profile: field('object'),
              'profile.name': field('string', true),
            },
          },
          SUBSCRIBER_INFO: { fields: { kind: field('"SUBSCRIBER_INFO"'), plan: field('"free" | "pro"') } },
        },
        request: { requiredFields: { warrantId: 'string', scope: '"account" | "subscriber"' }, unbounded: false },
      }),
    },
    schemas: {
      AuditEvent: schema({
        fields: {
          userId: logField('string', { classification: 'pseudonymous', redaction: 'hash' }),
          action: logField('"login" | "logout"', { classification: 'internal' }),
          ip: logField('string', { classification: 'personal', redaction: 'mask', optional: true }),
        },
        retentionDays: 90,
      }),
    },
    guards: {
      requireScope: guardDecl({ params: ['scope', 'level'] }),
      requireMfa: guardDecl({ async: true, params: ['maxAge'], implDigest: `sha256:${'b'.repeat(64)}` }),
    },
    sinks: { getSigningKey: { async: false }, decryptBlob: { async: true } },
    sites: {
      [siteKey('signToken', 'getSigningKey')]: site('signToken', 'getSigningKey', [
        dg('requireMfa', { maxAge: 300 }),
        dg('requireScope', { level: 2, scope: 'keys:read' }),
      ]),
      [siteKey('readBlob', 'decryptBlob')]: site('readBlob', 'decryptBlob', [
        dg('requireScope', { level: 1, scope: 'blob:read' }),
      ]),
    },
    escapes: {
      'exportKeys -> getSigningKey (reference)': { function: 'exportKeys', sink: 'getSigningKey', kind: 'reference' },
    },
    privacy: { 'le.response.closed': { statement: 'LE responses are limited to the listed variants' } },
  };
}

export function baseLocations() {
  return {
    'le:handle_le_request': 'src/le/handler.ts',
    'le:handle_le_request:variant:ACCOUNT_METADATA': 'src/le/types.ts',
    'le:handle_le_request:variant:SUBSCRIBER_INFO': 'src/le/types.ts',
    'logging:AuditEvent': 'src/logging/audit.ts',
    'keygate:guard:requireScope': 'src/auth/guards.ts',
    'keygate:guard:requireMfa': 'src/auth/guards.ts',
    'keygate:sink:getSigningKey': 'src/keys/store.ts',
    'keygate:sink:decryptBlob': 'src/keys/store.ts',
    'keygate:site:signToken -> getSigningKey': 'src/tokens/sign.ts',
    'keygate:site:readBlob -> decryptBlob': 'src/blobs/read.ts',
    'privacy:le.response.closed': 'src/le/handler.ts',
  };
}

/**
 * Orders used by the tests: defaults plus guard-argument orders.
 * @returns {import('../../dist/config/index.js').Orders}
 */
export function testOrders() {
  const o = defaultConfig().orders;
  return {
    ...o,
    guardArgs: {
      'requireScope.scope': ['blob:read', 'keys:read', 'keys:admin'],
      'requireScope.level': 'higher-is-stronger',
      'requireMfa.maxAge': 'lower-is-stronger',
    },
  };
}

export const clone = (x) => JSON.parse(JSON.stringify(x));
