import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffManifests, failsAt } from '../dist/diff/index.js';
import { RULES, findRule } from '../dist/diff/rules/index.js';
import { defaultConfig } from '../dist/config/index.js';
import { fingerprint } from '../dist/diff/fingerprint.js';
import {
  baseLocations,
  baseParts,
  clone,
  dg,
  field,
  handler,
  logField,
  manifest,
  schema,
  site,
  siteKey,
  testOrders,
} from './helpers/manifests.js';

const H = 'handle_le_request';
/** A sink implementation digest. */
const SD = (c) => `sha256:${c.repeat(64)}`;
const LE = (p) => p.handlers[H];
const AE = (p) => p.schemas.AuditEvent;
const SIGN = siteKey('signToken', 'getSigningKey');
const READ = siteKey('readBlob', 'decryptBlob');
const guardAt = (p, key, g) => p.sites[key].guards.find((x) => x.guard === g);
/** Rename a guard's declaration and its uses at every site. */
function renameGuard(p, from, to) {
  p.guards[to] = p.guards[from];
  delete p.guards[from];
  for (const s of Object.values(p.sites)) for (const g of s.guards) if (g.guard === from) g.guard = to;
}

function run(v, orders) {
  const bp = baseParts();
  const bl = baseLocations();
  v.before?.(bp, bl);
  const ap = clone(bp);
  const al = clone(bl);
  v.after(ap, al);
  return diffManifests(manifest(bp, bl), manifest(ap, al), v.orders ?? orders ?? testOrders());
}

/**
 * Every rule: `fires` variants (the rule reports exactly this id/subject with its effect, and nothing is left
 * to the catch-all unless said) and `benign` variants (the rule must not fire).
 */
const CASES = [
  // ---- LE
  {
    rule: 'LE_HANDLER_ADDED',
    effect: 'modified',
    fires: [
      {
        after: (p) => (p.handlers.exportForCourt = handler({ variants: { X: { fields: { kind: field('"X"') } } } })),
        id: 'exportForCourt',
        subject: '',
      },
    ],
    benign: [
      { name: 'renamed with identical content', after: (p) => ((p.handlers.handleLe = LE(p)), delete p.handlers[H]) },
    ],
  },
  {
    rule: 'LE_HANDLER_REMOVED',
    effect: 'weakening',
    fires: [{ after: (p) => delete p.handlers[H], id: H, subject: '' }],
    benign: [
      { name: 'renamed with identical content', after: (p) => ((p.handlers.handleLe = LE(p)), delete p.handlers[H]) },
    ],
  },
  {
    rule: 'LE_HANDLER_RENAMED',
    effect: 'neutral',
    fires: [
      {
        after: (p) => ((p.handlers.handleLe = LE(p)), delete p.handlers[H]),
        id: 'handleLe',
        subject: '',
        not: ['LE_HANDLER_ADDED', 'LE_HANDLER_REMOVED'],
      },
    ],
    benign: [
      {
        name: 'renamed and changed',
        after: (p) => {
          p.handlers.handleLe = clone(LE(p));
          p.handlers.handleLe.variants.NEW = { fields: {} };
          delete p.handlers[H];
        },
      },
    ],
  },
  {
    rule: 'LE_HANDLER_UNBOUNDED',
    effect: 'weakening',
    fires: [
      {
        name: 'became unbounded',
        after: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['response type is any'] }),
        id: H,
        subject: '',
      },
      {
        name: 'an undeclared getter on a returned object (issue 11 item 5)',
        after: (p) =>
          Object.assign(LE(p), {
            unbounded: true,
            unboundedReasons: ['returned object has a getter the response type does not declare at "devices"'],
          }),
        id: H,
        subject: '',
      },
      {
        name: 'toJSON added while already unbounded',
        before: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['type assertion on a return path'] }),
        after: (p) => (LE(p).unboundedReasons = ['returned object defines toJSON', 'type assertion on a return path']),
        id: H,
        subject: 'returned object defines toJSON',
      },
      {
        name: 'new reason while unbounded',
        before: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['a cast'] }),
        after: (p) => (LE(p).unboundedReasons = ['a cast', 'an unresolved call']),
        id: H,
        subject: 'an unresolved call',
      },
    ],
    benign: [
      {
        name: 'lost a reason while unbounded',
        before: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['a cast', 'an unresolved call'] }),
        after: (p) => (LE(p).unboundedReasons = ['a cast']),
      },
    ],
  },
  {
    rule: 'LE_HANDLER_BOUNDED',
    effect: 'strengthening',
    fires: [
      {
        before: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['a cast'] }),
        after: (p) => Object.assign(LE(p), { unbounded: false, unboundedReasons: [] }),
        id: H,
        subject: '',
      },
      {
        name: 'lost a reason while unbounded',
        before: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['a cast', 'an unresolved call'] }),
        after: (p) => (LE(p).unboundedReasons = ['a cast']),
        id: H,
        subject: 'an unresolved call',
      },
    ],
    benign: [{ after: (p) => Object.assign(LE(p), { unbounded: true, unboundedReasons: ['a cast'] }) }],
  },
  {
    rule: 'LE_DISCRIMINANT_CHANGED',
    effect: 'modified',
    fires: [
      { after: (p) => (LE(p).discriminant = 'type'), id: H, subject: '' },
      { name: 'to null', after: (p) => (LE(p).discriminant = null), id: H, subject: '' },
    ],
    benign: [{ after: (p) => (LE(p).variants.NEW = { fields: {} }) }],
  },
  {
    rule: 'LE_RESPONSE_ADDED',
    effect: 'weakening',
    fires: [
      {
        after: (p) =>
          (LE(p).variants.WIRETAP_CONTENT = {
            fields: { kind: field('"WIRETAP_CONTENT"'), audio: field('Uint8Array') },
          }),
        id: H,
        subject: 'WIRETAP_CONTENT',
        not: ['LE_RESPONSE_FIELD_ADDED'],
      },
    ],
    benign: [
      {
        name: 'variant of a new handler',
        after: (p) => (p.handlers.other = handler({ variants: { WIRETAP_CONTENT: { fields: {} } } })),
      },
    ],
  },
  {
    rule: 'LE_RESPONSE_REMOVED',
    effect: 'strengthening',
    fires: [{ after: (p) => delete LE(p).variants.SUBSCRIBER_INFO, id: H, subject: 'SUBSCRIBER_INFO' }],
    benign: [{ after: (p) => (LE(p).variants.NEW = { fields: {} }) }],
  },
  {
    rule: 'LE_RESPONSE_FIELD_ADDED',
    effect: 'weakening',
    fires: [
      {
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.phone = field('string')),
        id: H,
        subject: 'ACCOUNT_METADATA.phone',
      },
    ],
    benign: [
      { name: 'inside a new variant', after: (p) => (LE(p).variants.NEW = { fields: { phone: field('string') } }) },
    ],
  },
  {
    rule: 'LE_RESPONSE_FIELD_REMOVED',
    effect: 'strengthening',
    fires: [
      { after: (p) => delete LE(p).variants.ACCOUNT_METADATA.fields.email, id: H, subject: 'ACCOUNT_METADATA.email' },
    ],
    benign: [{ name: 'whole variant removed', after: (p) => delete LE(p).variants.ACCOUNT_METADATA }],
  },
  {
    rule: 'LE_RESPONSE_FIELD_WIDENED',
    effect: 'weakening',
    fires: [
      {
        name: 'literal union -> string',
        after: (p) => (LE(p).variants.SUBSCRIBER_INFO.fields.plan = field('string')),
        id: H,
        subject: 'SUBSCRIBER_INFO.plan',
      },
      {
        name: 'optional -> required',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields['profile.name'] = field('string')),
        id: H,
        subject: 'ACCOUNT_METADATA.profile.name',
      },
      {
        name: 'gained union member',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('string | null')),
        id: H,
        subject: 'ACCOUNT_METADATA.email',
      },
    ],
    benign: [{ after: (p) => (LE(p).variants.SUBSCRIBER_INFO.fields.plan = field('"free"')) }],
  },
  {
    rule: 'LE_RESPONSE_FIELD_NARROWED',
    effect: 'strengthening',
    fires: [
      {
        after: (p) => (LE(p).variants.SUBSCRIBER_INFO.fields.plan = field('"free"')),
        id: H,
        subject: 'SUBSCRIBER_INFO.plan',
      },
      {
        name: 'required -> optional',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('string', true)),
        id: H,
        subject: 'ACCOUNT_METADATA.email',
      },
    ],
    benign: [{ after: (p) => (LE(p).variants.SUBSCRIBER_INFO.fields.plan = field('string')) }],
  },
  {
    rule: 'LE_RESPONSE_FIELD_CHANGED',
    effect: 'modified',
    fires: [
      {
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('number')),
        id: H,
        subject: 'ACCOUNT_METADATA.email',
      },
      {
        name: 'wider type but now optional',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('string | null', true)),
        id: H,
        subject: 'ACCOUNT_METADATA.email',
      },
      {
        name: 'unparseable type text (fail closed)',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('typeof foo')),
        id: H,
        subject: 'ACCOUNT_METADATA.email',
      },
    ],
    benign: [{ after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('string | null')) }],
  },
  {
    rule: 'LE_REQUEST_REQUIREMENT_RELAXED',
    effect: 'weakening',
    fires: [
      {
        name: 'required field removed',
        after: (p) => delete LE(p).request.requiredFields.warrantId,
        id: H,
        subject: 'warrantId',
      },
      {
        name: 'required field widened',
        after: (p) => (LE(p).request.requiredFields.scope = 'string'),
        id: H,
        subject: 'scope',
      },
      { name: 'request unbounded', after: (p) => (LE(p).request.unbounded = true), id: H, subject: '' },
    ],
    benign: [{ after: (p) => (LE(p).request.requiredFields.caseNumber = 'string') }],
  },
  {
    rule: 'LE_REQUEST_REQUIREMENT_TIGHTENED',
    effect: 'strengthening',
    fires: [
      { after: (p) => (LE(p).request.requiredFields.caseNumber = 'string'), id: H, subject: 'caseNumber' },
      { name: 'narrowed', after: (p) => (LE(p).request.requiredFields.scope = '"account"'), id: H, subject: 'scope' },
    ],
    benign: [{ after: (p) => delete LE(p).request.requiredFields.warrantId }],
  },
  {
    rule: 'LE_REQUEST_REQUIREMENT_CHANGED',
    effect: 'modified',
    fires: [{ after: (p) => (LE(p).request.requiredFields.warrantId = 'number'), id: H, subject: 'warrantId' }],
    benign: [{ after: (p) => (LE(p).request.requiredFields.warrantId = 'string | number') }],
  },
  // ---- logging
  {
    rule: 'LOG_SCHEMA_ADDED',
    effect: 'modified',
    fires: [
      {
        after: (p) => (p.schemas.LoginEvent = schema({ fields: { at: logField('number') } })),
        id: 'LoginEvent',
        subject: '',
      },
    ],
    benign: [{ name: 'renamed', after: (p) => ((p.schemas.AuditRecord = AE(p)), delete p.schemas.AuditEvent) }],
  },
  {
    rule: 'LOG_SCHEMA_REMOVED',
    effect: 'weakening',
    fires: [{ after: (p) => delete p.schemas.AuditEvent, id: 'AuditEvent', subject: '' }],
    benign: [{ name: 'renamed', after: (p) => ((p.schemas.AuditRecord = AE(p)), delete p.schemas.AuditEvent) }],
  },
  {
    rule: 'LOG_SCHEMA_RENAMED',
    effect: 'neutral',
    fires: [
      {
        after: (p) => ((p.schemas.AuditRecord = AE(p)), delete p.schemas.AuditEvent),
        id: 'AuditRecord',
        subject: '',
        not: ['LOG_SCHEMA_ADDED', 'LOG_SCHEMA_REMOVED'],
      },
    ],
    benign: [
      {
        after: (p) => ((p.schemas.AuditRecord = { ...clone(AE(p)), retentionDays: 365 }), delete p.schemas.AuditEvent),
      },
    ],
  },
  {
    rule: 'LOG_FIELD_ADDED',
    effect: 'weakening',
    fires: [
      {
        after: (p) => (AE(p).fields.email = logField('string', { redaction: 'drop' })),
        id: 'AuditEvent',
        subject: 'email',
      },
    ],
    benign: [
      {
        name: 'inside a new schema',
        after: (p) => (p.schemas.Other = schema({ fields: { email: logField('string') } })),
      },
    ],
  },
  {
    rule: 'LOG_FIELD_REMOVED',
    effect: 'strengthening',
    fires: [{ after: (p) => delete AE(p).fields.ip, id: 'AuditEvent', subject: 'ip' }],
    benign: [{ after: (p) => delete p.schemas.AuditEvent }],
  },
  {
    rule: 'LOG_FIELD_WIDENED',
    effect: 'weakening',
    fires: [
      { after: (p) => (AE(p).fields.action.type = 'string'), id: 'AuditEvent', subject: 'action' },
      {
        name: 'optional -> required',
        after: (p) => (AE(p).fields.ip.optional = false),
        id: 'AuditEvent',
        subject: 'ip',
      },
    ],
    benign: [{ after: (p) => (AE(p).fields.action.classification = 'personal') }],
  },
  {
    rule: 'LOG_FIELD_NARROWED',
    effect: 'strengthening',
    fires: [{ after: (p) => (AE(p).fields.action.type = '"login"'), id: 'AuditEvent', subject: 'action' }],
    benign: [{ after: (p) => (AE(p).fields.action.type = 'string') }],
  },
  {
    rule: 'LOG_FIELD_TYPE_CHANGED',
    effect: 'modified',
    fires: [{ after: (p) => (AE(p).fields.userId.type = 'number'), id: 'AuditEvent', subject: 'userId' }],
    benign: [{ after: (p) => (AE(p).fields.userId.type = 'string | number') }],
  },
  {
    rule: 'LOG_REDACTION_RELAXED',
    effect: 'weakening',
    fires: [{ after: (p) => (AE(p).fields.userId.redaction = 'none'), id: 'AuditEvent', subject: 'userId' }],
    benign: [{ after: (p) => (AE(p).fields.userId.redaction = 'drop') }],
  },
  {
    rule: 'LOG_REDACTION_TIGHTENED',
    effect: 'strengthening',
    fires: [{ after: (p) => (AE(p).fields.ip.redaction = 'drop'), id: 'AuditEvent', subject: 'ip' }],
    benign: [{ after: (p) => (AE(p).fields.ip.redaction = 'none') }],
  },
  {
    rule: 'LOG_REDACTION_CHANGED',
    effect: 'modified',
    fires: [
      {
        name: 'mode outside the order',
        after: (p) => (AE(p).fields.userId.redaction = 'encrypt'),
        id: 'AuditEvent',
        subject: 'userId',
      },
    ],
    benign: [
      {
        name: 'mode added to orders.redaction is ranked',
        orders: { ...testOrders(), redaction: ['none', 'mask', 'hash', 'encrypt', 'drop'] },
        after: (p) => (AE(p).fields.userId.redaction = 'encrypt'),
        expect: 'LOG_REDACTION_TIGHTENED',
      },
    ],
  },
  {
    rule: 'LOG_CLASSIFICATION_LOWERED',
    effect: 'weakening',
    fires: [
      { after: (p) => (AE(p).fields.userId.classification = 'internal'), id: 'AuditEvent', subject: 'userId' },
      {
        name: 'to unclassified (the lowest)',
        after: (p) => (AE(p).fields.action.classification = 'unclassified'),
        id: 'AuditEvent',
        subject: 'action',
      },
    ],
    benign: [{ after: (p) => (AE(p).fields.userId.classification = 'secret') }],
  },
  {
    rule: 'LOG_CLASSIFICATION_RAISED',
    effect: 'strengthening',
    fires: [{ after: (p) => (AE(p).fields.action.classification = 'personal'), id: 'AuditEvent', subject: 'action' }],
    benign: [{ after: (p) => (AE(p).fields.action.classification = 'public') }],
  },
  {
    rule: 'LOG_CLASSIFICATION_CHANGED',
    effect: 'modified',
    fires: [
      { after: (p) => (AE(p).fields.userId.classification = 'confidential'), id: 'AuditEvent', subject: 'userId' },
    ],
    benign: [{ after: (p) => (AE(p).fields.userId.classification = 'personal') }],
  },
  {
    rule: 'LOG_SCHEMA_OPENED',
    effect: 'weakening',
    fires: [
      {
        after: (p) => Object.assign(AE(p), { open: true, openReasons: ['index signature'] }),
        id: 'AuditEvent',
        subject: '',
      },
      {
        name: 'new reason while open',
        before: (p) => Object.assign(AE(p), { open: true, openReasons: ['index signature'] }),
        after: (p) => (AE(p).openReasons = ['field "extra" is any', 'index signature']),
        id: 'AuditEvent',
        subject: 'field "extra" is any',
      },
      {
        name: 'a sink called with an undeclared field (issue 11 item 6)',
        after: (p) =>
          Object.assign(AE(p), { open: true, openReasons: ['sink audit is called with undeclared field "ssn"'] }),
        id: 'AuditEvent',
        subject: '',
      },
      {
        name: 'a second extra field logged through the sink',
        before: (p) =>
          Object.assign(AE(p), { open: true, openReasons: ['sink audit is called with undeclared field "ssn"'] }),
        after: (p) =>
          (AE(p).openReasons = [
            'sink audit is called with undeclared field "email"',
            'sink audit is called with undeclared field "ssn"',
          ]),
        id: 'AuditEvent',
        subject: 'sink audit is called with undeclared field "email"',
      },
    ],
    benign: [
      {
        before: (p) => Object.assign(AE(p), { open: true, openReasons: ['index signature'] }),
        after: (p) => Object.assign(AE(p), { open: false, openReasons: [] }),
      },
      {
        name: 'one extra field of a sink no longer logged, another still is',
        before: (p) =>
          Object.assign(AE(p), {
            open: true,
            openReasons: [
              'sink audit is called with undeclared field "email"',
              'sink audit is called with undeclared field "ssn"',
            ],
          }),
        after: (p) =>
          Object.assign(AE(p), { open: true, openReasons: ['sink audit is called with undeclared field "ssn"'] }),
        expect: 'LOG_SCHEMA_CLOSED',
      },
    ],
  },
  {
    rule: 'LOG_SCHEMA_CLOSED',
    effect: 'strengthening',
    fires: [
      {
        before: (p) => Object.assign(AE(p), { open: true, openReasons: ['index signature'] }),
        after: (p) => Object.assign(AE(p), { open: false, openReasons: [] }),
        id: 'AuditEvent',
        subject: '',
      },
      {
        name: 'the wide sink argument narrowed back (issue 11 item 6)',
        before: (p) =>
          Object.assign(AE(p), { open: true, openReasons: ['sink audit is called with undeclared field "ssn"'] }),
        after: (p) => Object.assign(AE(p), { open: false, openReasons: [] }),
        id: 'AuditEvent',
        subject: '',
      },
    ],
    benign: [{ after: (p) => Object.assign(AE(p), { open: true, openReasons: ['index signature'] }) }],
  },
  {
    rule: 'LOG_RETENTION_INCREASED',
    effect: 'weakening',
    fires: [
      { after: (p) => (AE(p).retentionDays = 365), id: 'AuditEvent', subject: '' },
      { name: 'number -> unbounded', after: (p) => (AE(p).retentionDays = null), id: 'AuditEvent', subject: '' },
    ],
    benign: [{ after: (p) => (AE(p).retentionDays = 30) }],
  },
  {
    rule: 'LOG_RETENTION_DECREASED',
    effect: 'strengthening',
    fires: [
      { after: (p) => (AE(p).retentionDays = 30), id: 'AuditEvent', subject: '' },
      {
        name: 'unbounded -> number',
        before: (p) => (AE(p).retentionDays = null),
        after: (p) => (AE(p).retentionDays = 365),
        id: 'AuditEvent',
        subject: '',
      },
    ],
    benign: [{ after: (p) => (AE(p).retentionDays = null) }],
  },
  {
    rule: 'LOG_SINK_CHANGED',
    effect: 'modified',
    fires: [
      {
        name: "the sink's body changed",
        before: (p) => (AE(p).sinks = { audit: SD('a') }),
        after: (p) => (AE(p).sinks = { audit: SD('b') }),
        id: 'AuditEvent',
        subject: 'audit',
      },
      {
        name: 'another sink now writes the schema',
        before: (p) => (AE(p).sinks = { audit: SD('a') }),
        after: (p) => (AE(p).sinks = { audit: SD('a'), emit: SD('c') }),
        id: 'AuditEvent',
        subject: 'emit',
      },
    ],
    benign: [
      {
        name: 'a sink no longer writes it',
        before: (p) => (AE(p).sinks = { audit: SD('a'), emit: SD('c') }),
        after: (p) => (AE(p).sinks = { audit: SD('a') }),
      },
    ],
  },
  {
    rule: 'LOG_SINK_DROPPED',
    effect: 'neutral',
    fires: [
      {
        name: 'a sink no longer writes the schema',
        before: (p) => (AE(p).sinks = { audit: SD('a'), emit: SD('c') }),
        after: (p) => (AE(p).sinks = { audit: SD('a') }),
        id: 'AuditEvent',
        subject: 'emit',
      },
      {
        name: 'a sink renamed, same body',
        before: (p) => (AE(p).sinks = { audit: SD('a') }),
        after: (p) => (AE(p).sinks = { write: SD('a') }),
        id: 'AuditEvent',
        subject: 'write',
      },
      {
        name: 'the base predates sink digests',
        after: (p) => (AE(p).sinks = { audit: SD('a') }),
        id: 'AuditEvent',
        subject: '',
      },
    ],
    benign: [
      {
        name: "the sink's body changed",
        before: (p) => (AE(p).sinks = { audit: SD('a') }),
        after: (p) => (AE(p).sinks = { audit: SD('b') }),
      },
    ],
  },
  // ---- keygate
  {
    rule: 'KEYGATE_SINK_REMOVED',
    effect: 'weakening',
    fires: [
      {
        name: 'sink, its site and its escape gone',
        after: (p) => {
          delete p.sinks.getSigningKey;
          delete p.sites[SIGN];
          p.escapes = {};
        },
        id: 'getSigningKey',
        subject: '',
        not: ['KEYGATE_SITE_REMOVED', 'KEYGATE_SINK_ESCAPE_REMOVED'],
      },
    ],
    benign: [{ after: (p) => (p.sinks.newSink = { async: false }) }],
  },
  {
    rule: 'KEYGATE_SINK_ADDED',
    effect: 'strengthening',
    fires: [{ after: (p) => (p.sinks.exportKey = { async: false }), id: 'exportKey', subject: '' }],
    benign: [{ after: (p) => delete p.sinks.decryptBlob }],
  },
  {
    rule: 'KEYGATE_GUARD_DECL_REMOVED',
    effect: 'weakening',
    fires: [
      {
        after: (p) => {
          delete p.guards.requireMfa;
          p.sites[SIGN].guards = p.sites[SIGN].guards.filter((g) => g.guard !== 'requireMfa');
        },
        id: 'requireMfa',
        subject: '',
        also: ['KEYGATE_GUARD_REMOVED'],
      },
    ],
    benign: [{ after: (p) => (p.guards.requireMfa.implDigest = `sha256:${'c'.repeat(64)}`) }],
  },
  {
    rule: 'KEYGATE_GUARD_DECL_ADDED',
    effect: 'strengthening',
    fires: [
      {
        after: (p) => (p.guards.requireAdmin = { async: false, params: [], implDigest: `sha256:${'d'.repeat(64)}` }),
        id: 'requireAdmin',
        subject: '',
      },
    ],
    benign: [{ after: (p) => delete p.guards.requireScope }],
  },
  {
    rule: 'KEYGATE_GUARD_IMPL_CHANGED',
    effect: 'modified',
    fires: [
      {
        after: (p) => (p.guards.requireScope.implDigest = `sha256:${'e'.repeat(64)}`),
        id: 'requireScope',
        subject: '',
      },
    ],
    benign: [
      { after: (p) => (p.guards.requireAdmin = { async: false, params: [], implDigest: `sha256:${'d'.repeat(64)}` }) },
    ],
  },
  {
    rule: 'KEYGATE_GUARD_RENAMED',
    effect: 'neutral',
    fires: [
      {
        // declared under a new name with the same implementation, used under it at every site
        after: (p) => renameGuard(p, 'requireScope', 'ensureScope'),
        id: 'ensureScope',
        subject: '',
        not: ['KEYGATE_GUARD_DECL_REMOVED', 'KEYGATE_GUARD_DECL_ADDED', 'KEYGATE_GUARD_REMOVED', 'KEYGATE_GUARD_ADDED'],
      },
    ],
    benign: [
      {
        name: 'the renamed guard has another implementation',
        after: (p) => {
          renameGuard(p, 'requireScope', 'ensureScope');
          p.guards.ensureScope.implDigest = `sha256:${'e'.repeat(64)}`;
        },
      },
      {
        name: 'the renamed guard takes other parameters',
        after: (p) => {
          renameGuard(p, 'requireScope', 'ensureScope');
          p.guards.ensureScope.params = ['scope'];
        },
      },
    ],
  },
  {
    rule: 'KEYGATE_GUARD_REMOVED',
    effect: 'weakening',
    fires: [
      {
        name: 'renamed, and no longer at one site',
        after: (p) => {
          renameGuard(p, 'requireScope', 'ensureScope');
          p.sites[READ].guards = p.sites[READ].guards.filter((g) => g.guard !== 'ensureScope');
        },
        id: READ,
        subject: 'ensureScope',
        not: ['KEYGATE_GUARD_DECL_REMOVED'],
      },
      {
        after: (p) => (p.sites[SIGN].guards = p.sites[SIGN].guards.filter((g) => g.guard !== 'requireMfa')),
        id: SIGN,
        subject: 'requireMfa',
      },
      {
        name: 'last guard of a site',
        after: (p) => (p.sites[READ].guards = []),
        id: READ,
        subject: 'requireScope',
        not: ['KEYGATE_UNGUARDED_SINK_CALL'],
      },
    ],
    benign: [{ name: 'argument changed', after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:admin') }],
  },
  {
    rule: 'KEYGATE_GUARD_ADDED',
    effect: 'strengthening',
    fires: [
      { after: (p) => p.sites[READ].guards.unshift(dg('requireMfa', { maxAge: 60 })), id: READ, subject: 'requireMfa' },
    ],
    benign: [{ after: (p) => (p.sites[READ].guards = []) }],
  },
  {
    rule: 'KEYGATE_GUARD_NOT_AWAITED',
    effect: 'weakening',
    fires: [{ after: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = false), id: SIGN, subject: 'requireMfa' }],
    benign: [
      {
        before: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = false),
        after: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = true),
      },
    ],
  },
  {
    rule: 'KEYGATE_GUARD_AWAITED',
    effect: 'strengthening',
    fires: [
      {
        before: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = false),
        after: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = true),
        id: SIGN,
        subject: 'requireMfa',
      },
    ],
    benign: [{ after: (p) => (guardAt(p, SIGN, 'requireMfa').awaited = false) }],
  },
  {
    rule: 'KEYGATE_GUARD_ARG_WEAKENED',
    effect: 'weakening',
    fires: [
      {
        name: 'list order',
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'blob:read'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'higher-is-stronger',
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.level = 1),
        id: SIGN,
        subject: 'requireScope.level',
      },
      {
        name: 'lower-is-stronger',
        after: (p) => (guardAt(p, SIGN, 'requireMfa').args.maxAge = 3600),
        id: SIGN,
        subject: 'requireMfa.maxAge',
      },
    ],
    benign: [{ after: (p) => (guardAt(p, SIGN, 'requireMfa').args.maxAge = 60) }],
  },
  {
    rule: 'KEYGATE_GUARD_ARG_STRENGTHENED',
    effect: 'strengthening',
    fires: [
      {
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:admin'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'lower-is-stronger',
        after: (p) => (guardAt(p, SIGN, 'requireMfa').args.maxAge = 60),
        id: SIGN,
        subject: 'requireMfa.maxAge',
      },
    ],
    benign: [{ after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'blob:read') }],
  },
  {
    rule: 'KEYGATE_GUARD_ARG_CHANGED',
    effect: 'modified',
    fires: [
      {
        name: 'to <dynamic>',
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = '<dynamic>'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'from <dynamic>',
        before: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = '<dynamic>'),
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:admin'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'value outside the order',
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:write'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'no order configured',
        orders: defaultConfig().orders,
        after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:admin'),
        id: SIGN,
        subject: 'requireScope.scope',
      },
      {
        name: 'argument present on one side only',
        after: (p) => (guardAt(p, SIGN, 'requireMfa').args['#1'] = true),
        id: SIGN,
        subject: 'requireMfa.#1',
      },
    ],
    benign: [{ after: (p) => (guardAt(p, SIGN, 'requireScope').args.scope = 'keys:admin') }],
  },
  {
    rule: 'KEYGATE_UNGUARDED_SINK_CALL',
    effect: 'weakening',
    fires: [
      {
        after: (p) => (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [])),
        id: 'rotate -> getSigningKey',
        subject: '',
      },
    ],
    benign: [
      {
        after: (p) =>
          (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [
            dg('requireScope', { level: 3, scope: 'keys:admin' }),
          ])),
      },
    ],
  },
  {
    rule: 'KEYGATE_ENTRY_WEAKER',
    effect: 'weakening',
    fires: [
      {
        after: (p) =>
          (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [
            dg('requireScope', { level: 3, scope: 'keys:admin' }),
          ])),
        id: 'rotate -> getSigningKey',
        subject: 'requireMfa',
      },
    ],
    benign: [
      {
        name: 'every shared guard present',
        after: (p) =>
          (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [
            dg('requireMfa', { maxAge: 60 }),
            dg('requireScope', { level: 3, scope: 'keys:admin' }),
          ])),
      },
      {
        name: 'no guard at all',
        after: (p) => (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [])),
      },
    ],
  },
  {
    rule: 'KEYGATE_SITE_ADDED',
    effect: 'modified',
    fires: [
      {
        after: (p) =>
          (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [
            dg('requireMfa', { maxAge: 300 }),
            dg('requireScope', { level: 3, scope: 'keys:admin' }),
          ])),
        id: 'rotate -> getSigningKey',
        subject: '',
      },
    ],
    benign: [
      { after: (p) => (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [])) },
      {
        name: 'fewer guards than the other entry points',
        after: (p) =>
          (p.sites[siteKey('rotate', 'getSigningKey')] = site('rotate', 'getSigningKey', [
            dg('requireScope', { level: 3, scope: 'keys:admin' }),
          ])),
      },
    ],
  },
  {
    rule: 'KEYGATE_SITE_REMOVED',
    effect: 'strengthening',
    fires: [{ after: (p) => delete p.sites[READ], id: READ, subject: '' }],
    benign: [
      {
        name: 'because the sink is no longer declared',
        after: (p) => (delete p.sites[READ], delete p.sinks.decryptBlob),
      },
    ],
  },
  {
    rule: 'KEYGATE_SITE_RENAMED',
    effect: 'neutral',
    fires: [
      {
        after: (p) => {
          p.sites[siteKey('readBlobV2', 'decryptBlob')] = { ...clone(p.sites[READ]), function: 'readBlobV2' };
          delete p.sites[READ];
        },
        id: 'readBlobV2 -> decryptBlob',
        subject: '',
        not: ['KEYGATE_SITE_REMOVED', 'KEYGATE_SITE_ADDED'],
      },
    ],
    benign: [
      {
        name: 'guards differ',
        after: (p) => {
          p.sites[siteKey('readBlobV2', 'decryptBlob')] = site('readBlobV2', 'decryptBlob', []);
          delete p.sites[READ];
        },
      },
    ],
  },
  {
    rule: 'KEYGATE_SINK_ESCAPES',
    effect: 'weakening',
    fires: [
      {
        after: (p) =>
          (p.escapes['cache -> decryptBlob (unresolved-call)'] = {
            function: 'cache',
            sink: 'decryptBlob',
            kind: 'unresolved-call',
          }),
        id: 'cache -> decryptBlob (unresolved-call)',
        subject: '',
      },
    ],
    benign: [{ after: (p) => (p.escapes = {}) }],
  },
  {
    rule: 'KEYGATE_SINK_ESCAPE_REMOVED',
    effect: 'strengthening',
    fires: [{ after: (p) => (p.escapes = {}), id: 'exportKeys -> getSigningKey (reference)', subject: '' }],
    benign: [
      {
        after: (p) =>
          (p.escapes['cache -> decryptBlob (reference)'] = {
            function: 'cache',
            sink: 'decryptBlob',
            kind: 'reference',
          }),
      },
    ],
  },
  // ---- privacy
  {
    rule: 'PRIVACY_INVARIANT_REMOVED',
    effect: 'weakening',
    fires: [{ after: (p) => delete p.privacy['le.response.closed'], id: 'le.response.closed', subject: '' }],
    benign: [{ after: (p) => (p.privacy['le.response.closed'].statement = 'reworded') }],
  },
  {
    rule: 'PRIVACY_INVARIANT_ADDED',
    effect: 'strengthening',
    fires: [
      {
        after: (p) => (p.privacy['keys.gated'] = { statement: 'Key material is only read behind a guard' }),
        id: 'keys.gated',
        subject: '',
      },
    ],
    benign: [{ after: (p) => delete p.privacy['le.response.closed'] }],
  },
  {
    rule: 'PRIVACY_INVARIANT_CHANGED',
    effect: 'modified',
    fires: [
      {
        after: (p) => (p.privacy['le.response.closed'].statement = 'LE responses are mostly limited'),
        id: 'le.response.closed',
        subject: '',
      },
    ],
    benign: [{ after: (p) => (p.privacy['keys.gated'] = { statement: 'x' }) }],
  },
  // ---- locations
  {
    rule: 'LOCATION_MOVED',
    effect: 'neutral',
    fires: [
      { after: (_p, l) => (l['logging:AuditEvent'] = 'src/audit/events.ts'), id: 'logging:AuditEvent', subject: '' },
    ],
    benign: [
      {
        name: 'location of a new entity',
        after: (p, l) => ((p.sinks.k = { async: false }), (l['keygate:sink:k'] = 'src/k.ts')),
      },
    ],
  },
  // ---- catch-all
  {
    rule: 'UNCLASSIFIED_CHANGE',
    effect: 'modified',
    fires: [
      {
        name: 'guard parameter list',
        after: (p) => (p.guards.requireScope.params = ['scope']),
        id: 'requireScope',
        subject: 'params',
      },
      {
        name: 'escape record changed under the same key',
        after: (p) => (p.escapes['exportKeys -> getSigningKey (reference)'].function = 'exportKeys2'),
        id: 'exportKeys -> getSigningKey (reference)',
        subject: 'function',
      },
      {
        name: 'type text differs but compares equal',
        after: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('any')),
        before: (p) => (LE(p).variants.ACCOUNT_METADATA.fields.email = field('unknown')),
        id: H,
        subject: 'variants/ACCOUNT_METADATA/fields/email/type',
      },
      {
        name: 'unbounded reasons while bounded',
        after: (p) => (LE(p).unboundedReasons = ['odd']),
        id: H,
        subject: 'unboundedReasons',
      },
    ],
    benign: [{ name: 'a classified change', after: (p) => (LE(p).variants.NEW = { fields: {} }) }],
  },
];

test('every catalogue rule has firing and benign cases', () => {
  const covered = new Set(CASES.map((c) => c.rule));
  // CONFIG_CHANGED is applied by `check` (manifests do not carry the config); test/e2e/check.test.js covers it.
  // REGISTRY_APPENDED likewise (the registry is not in a manifest): test/e2e/registry-trust.test.js covers it.
  // WORKSPACE_* are applied by `check` at a workspace root (several manifests); test/e2e/workspace.test.js covers them.
  assert.equal(
    RULES.map((r) => r.id).filter(
      (id) => !covered.has(id) && id !== 'CONFIG_CHANGED' && id !== 'REGISTRY_APPENDED' && !id.startsWith('WORKSPACE_'),
    ),
    [],
  );
  // an empty context on purpose: these rules must not read it
  const noCtx = /** @type {import('../dist/diff/rules/define.js').DiffContext} */ ({});
  for (const id of ['WORKSPACE_PACKAGE_ADDED', 'WORKSPACE_PACKAGE_REMOVED', 'WORKSPACE_DECL_MOVED'])
    assert.equal(findRule(id).find(noCtx), [], `diff never reports ${id} by itself`);
  // the config rules read only what a gate adds to the context: a manifest diff has none of it
  const plain = diffManifests(
    manifest(baseParts(), baseLocations()),
    manifest(baseParts(), baseLocations()),
    testOrders(),
  );
  assert.equal(plain.changes, [], 'diff never reports CONFIG_CHANGED or REGISTRY_APPENDED by itself');
  for (const c of CASES) {
    assert.ok(findRule(c.rule), `${c.rule} is in the catalogue`);
    assert.is(findRule(c.rule).effect, c.effect, `${c.rule} effect`);
    assert.ok(c.fires.length && c.benign.length, `${c.rule} has cases`);
  }
});

for (const c of CASES) {
  c.fires.forEach((v, i) => {
    test(`${c.rule} fires${v.name ? ` (${v.name})` : i ? ` #${i + 1}` : ''}`, () => {
      const r = run(v);
      const hits = r.changes.filter((x) => x.rule === c.rule);
      const hit = hits.find((x) => x.id === v.id && x.subject === v.subject);
      assert.ok(
        hit,
        `expected ${c.rule} on ${JSON.stringify(v.id)} / ${JSON.stringify(v.subject)}; got ${JSON.stringify(r.changes.map((x) => [x.rule, x.id, x.subject]))}`,
      );
      assert.is(hit.effect, c.effect);
      assert.ok(hit.message.length > 0);
      assert.match(hit.fingerprint, /^[0-9a-f]{16}$/);
      if (c.rule !== 'UNCLASSIFIED_CHANGE') {
        assert.equal(
          r.changes.filter((x) => x.rule === 'UNCLASSIFIED_CHANGE').map((x) => [x.id, x.subject]),
          [],
          'nothing left to the catch-all',
        );
      }
      for (const other of v.not ?? [])
        assert.not.ok(
          r.changes.some((x) => x.rule === other),
          `${other} must not fire`,
        );
      for (const other of v.also ?? [])
        assert.ok(
          r.changes.some((x) => x.rule === other),
          `${other} must fire too`,
        );
    });
  });
  c.benign.forEach((v, i) => {
    test(`${c.rule} does not fire${v.name ? ` (${v.name})` : i ? ` #${i + 1}` : ''}`, () => {
      const r = run(v);
      assert.ok(r.changes.length > 0, 'the benign variant changes something');
      assert.equal(
        r.changes.filter((x) => x.rule === c.rule).map((x) => [x.id, x.subject]),
        [],
      );
      if (v.expect)
        assert.ok(
          r.changes.some((x) => x.rule === v.expect),
          `${v.expect} instead`,
        );
    });
  });
}

// ---- engine

test('identical manifests: no changes, nothing fails', () => {
  const r = diffManifests(manifest(baseParts(), baseLocations()), manifest(baseParts(), baseLocations()), testOrders());
  assert.equal(r.changes, []);
  assert.equal(r.summary, { weakening: 0, strengthening: 0, modified: 0, neutral: 0 });
  assert.is(r.schemaVersion, 1);
  for (const level of /** @type {const} */ (['weakening', 'modified', 'any', 'none']))
    assert.is(failsAt(r, level), false);
});

function mixed() {
  return run({
    after: (p, l) => {
      LE(p).variants.WIRETAP_CONTENT = { fields: {} }; // weakening
      p.guards.requireScope.implDigest = `sha256:${'e'.repeat(64)}`; // modified
      delete AE(p).fields.ip; // strengthening
      l['logging:AuditEvent'] = 'src/moved.ts'; // neutral
      AE(p).fields.userId.redaction = 'none'; // weakening
    },
  });
}

test('changes are sorted by effect rank, then category, rule, id, subject; summary counts', () => {
  const r = mixed();
  assert.equal(
    r.changes.map((c) => [c.effect, c.rule]),
    [
      ['weakening', 'LE_RESPONSE_ADDED'],
      ['weakening', 'LOG_REDACTION_RELAXED'],
      ['modified', 'KEYGATE_GUARD_IMPL_CHANGED'],
      ['strengthening', 'LOG_FIELD_REMOVED'],
      ['neutral', 'LOCATION_MOVED'],
    ],
  );
  assert.equal(r.summary, { weakening: 2, strengthening: 1, modified: 1, neutral: 1 });
});

test('failsAt thresholds: modified counts as weakening; any includes strengthening; none never', () => {
  const only = (rule) => ({ ...mixed(), changes: mixed().changes.filter((c) => c.rule === rule) });
  const mod = only('KEYGATE_GUARD_IMPL_CHANGED');
  const str = only('LOG_FIELD_REMOVED');
  const neu = only('LOCATION_MOVED');
  assert.is(failsAt(mod, 'weakening'), true);
  assert.is(failsAt(mod, 'modified'), true);
  assert.is(failsAt(str, 'weakening'), false);
  assert.is(failsAt(str, 'modified'), false);
  assert.is(failsAt(str, 'any'), true);
  assert.is(failsAt(neu, 'any'), false);
  assert.is(failsAt(mixed(), 'none'), false);
});

test('locations: head first then base, de-duplicated; variant key before handler key', () => {
  const r = run({
    after: (p, l) => {
      LE(p).variants.ACCOUNT_METADATA.fields.phone = field('string');
      l['le:handle_le_request:variant:ACCOUNT_METADATA'] = 'src/le/types2.ts';
    },
  });
  const c = r.changes.find((x) => x.rule === 'LE_RESPONSE_FIELD_ADDED');
  assert.equal(c.locations, ['src/le/types2.ts', 'src/le/handler.ts', 'src/le/types.ts']);
  const renamed = run({
    after: (p, l) => (
      (p.schemas.AuditRecord = AE(p)),
      delete p.schemas.AuditEvent,
      (l['logging:AuditRecord'] = 'src/a2.ts'),
      delete l['logging:AuditEvent']
    ),
  });
  assert.equal(renamed.changes.find((x) => x.rule === 'LOG_SCHEMA_RENAMED').locations, [
    'src/a2.ts',
    'src/logging/audit.ts',
  ]);
});

test('keygate site ids and guard subjects follow the conventions; fingerprints are stable', () => {
  const v = { after: (p) => (guardAt(p, SIGN, 'requireScope').args.level = 1) };
  const a = run(v).changes;
  const b = run(v).changes;
  assert.equal(a, b);
  assert.equal(
    a.map((c) => [c.rule, c.id, c.subject, c.before, c.after, c.locations]),
    [
      [
        'KEYGATE_GUARD_ARG_WEAKENED',
        'signToken -> getSigningKey',
        'requireScope.level',
        2,
        1,
        ['src/tokens/sign.ts', 'src/auth/guards.ts', 'src/keys/store.ts'],
      ],
    ],
  );
});

test('duplicate guards at a site: identical entries cancel, the rest pair by guard id', () => {
  const r = run({
    before: (p) => p.sites[SIGN].guards.push(dg('requireScope', { level: 3, scope: 'keys:admin' })),
    after: (p) => (p.sites[SIGN].guards = p.sites[SIGN].guards.filter((g) => g.args.scope !== 'keys:read')),
  });
  assert.equal(
    r.changes.map((c) => [c.rule, c.subject]),
    [['KEYGATE_GUARD_REMOVED', 'requireScope']],
  );
  assert.equal(r.changes[0].before, { guard: 'requireScope', args: { level: 2, scope: 'keys:read' }, awaited: true });
});

test('a rename paired with a changed twin is never neutral', () => {
  const r = run({
    after: (p) => (
      (p.handlers.other = { ...clone(LE(p)), unbounded: true, unboundedReasons: ['x'] }),
      delete p.handlers[H]
    ),
  });
  assert.equal(r.changes.map((c) => c.rule).sort(), ['LE_HANDLER_ADDED', 'LE_HANDLER_REMOVED']);
});

/** Two identical manifests, and what a gate adds: only the config rules can fire. */
function gateDiff(gate) {
  return diffManifests(
    manifest(baseParts(), baseLocations()),
    manifest(baseParts(), baseLocations()),
    testOrders(),
    gate,
  );
}

test('CONFIG_CHANGED: a governing file whose value differs is one change at its path', () => {
  const r = gateDiff({
    governing: [
      { id: 'policydrift.config.json', what: 'the config decides X', before: { a: 1 }, after: { a: 2 } },
      {
        id: 'tsconfig.json',
        what: 'the tsconfig decides Y',
        before: { include: ['src'] },
        after: { include: ['src'] },
      },
      { id: '.policydrift/allowed_signers', what: 'signers', before: null, after: ['alice ssh-ed25519 AAAA'] },
    ],
  });
  assert.equal(
    r.changes.map((c) => [c.rule, c.category, c.effect, c.id, c.subject, c.message, c.locations]),
    [
      [
        'CONFIG_CHANGED',
        'config',
        'modified',
        '.policydrift/allowed_signers',
        '',
        '.policydrift/allowed_signers changed; signers',
        ['.policydrift/allowed_signers'],
      ],
      [
        'CONFIG_CHANGED',
        'config',
        'modified',
        'policydrift.config.json',
        '',
        'policydrift.config.json changed; the config decides X',
        ['policydrift.config.json'],
      ],
    ],
  );
  assert.equal(r.summary, { weakening: 0, strengthening: 0, modified: 2, neutral: 0 });
  const cfg = r.changes[1];
  assert.equal([cfg.before, cfg.after], [{ a: 1 }, { a: 2 }]);
  // the fingerprint is the one check always gave it: (rule, path, "", before, after)
  assert.is(cfg.fingerprint, fingerprint('CONFIG_CHANGED', 'policydrift.config.json', '', { a: 1 }, { a: 2 }));
});

test('CONFIG_CHANGED: equal values (key order aside) are not a change', () => {
  const r = gateDiff({
    governing: [{ id: 'policydrift.config.json', what: 'x', before: { a: 1, b: 2 }, after: { b: 2, a: 1 } }],
  });
  assert.equal(r.changes, []);
});

test('REGISTRY_APPENDED: an unsigned appended event is one change at the registry, subject its seq', () => {
  const event = { seq: 3, type: 'revoke', version: '1.0.0', signer: null };
  const r = gateDiff({
    registryAppends: [
      {
        registry: 'release/registry.json',
        trustedRef: 'origin/main',
        seq: 3,
        event,
        description: 'revoke of 1.0.0 (seq 3)',
        problem: 'is unsigned',
      },
    ],
  });
  assert.is(r.changes.length, 1);
  const c = r.changes[0];
  assert.equal(
    [c.rule, c.category, c.effect, c.id, c.subject],
    ['REGISTRY_APPENDED', 'config', 'modified', 'release/registry.json', 'seq 3'],
  );
  assert.equal([c.before, c.after, c.locations], [null, event, ['release/registry.json']]);
  assert.is(
    c.message,
    'the candidate appends revoke of 1.0.0 (seq 3) to the release registry, which is unsigned; only the release job appends events, each signed by a release signer of origin/main, so this one is never a release, a revocation or a baseline. Remove it from the change (`git checkout origin/main -- release/registry.json`)',
  );
  assert.is(c.fingerprint, fingerprint('REGISTRY_APPENDED', 'release/registry.json', 'seq 3', null, event));
});

test.run();
