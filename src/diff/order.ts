/**
 * The lattices the diff compares labels in: redaction modes, classification
 * levels and guard arguments. Each comparison answers from the point of view
 * of protection: `stronger` means the after-value protects more.
 *
 * Fail closed: a value outside its order, a `<dynamic>` argument or a guard
 * parameter without a configured order is `unknown` (=> modified), never fine.
 */
import { UNCLASSIFIED, type Orders } from '../config/index.js';
import { isDynamicArg, type GuardArg } from '../manifest/types.js';

export type OrderComparison = 'same' | 'stronger' | 'weaker' | 'unknown';

/** Compare two labels in a list ordered weakest -> strongest. */
export function compareInOrder(order: readonly unknown[], before: unknown, after: unknown): OrderComparison {
  if (before === after) return 'same';
  const b = order.indexOf(before);
  const a = order.indexOf(after);
  if (b < 0 || a < 0) return 'unknown';
  if (a === b) return 'same';
  return a > b ? 'stronger' : 'weaker';
}

/** Redaction modes, weakest (`none`) first. */
export function redactionLattice(orders: Orders): string[] {
  return [...orders.redaction];
}

/** Classification levels, least sensitive first, with `unclassified` below every configured level. */
export function classificationLattice(orders: Orders): string[] {
  return [UNCLASSIFIED, ...orders.classification.filter((c) => c !== UNCLASSIFIED)];
}

/** `stronger` = the after-mode redacts more. */
export function compareRedaction(orders: Orders, before: string, after: string): OrderComparison {
  return compareInOrder(redactionLattice(orders), before, after);
}

/** `stronger` = the after-level is more sensitive (the field is handled more strictly). */
export function compareClassification(orders: Orders, before: string, after: string): OrderComparison {
  return compareInOrder(classificationLattice(orders), before, after);
}

/** The config key of a guard parameter's order: `<guard>.<param>`. */
export function guardArgKey(guard: string, param: string): string {
  return `${guard}.${param}`;
}

/**
 * Compare one guard argument (`stronger` = the after-value demands more).
 * An argument missing on one side, or `<dynamic>` on either side, is `unknown`.
 */
export function compareGuardArg(
  orders: Orders,
  guard: string,
  param: string,
  before: GuardArg | undefined,
  after: GuardArg | undefined,
): OrderComparison {
  if (before === undefined || after === undefined) return 'unknown';
  if (before === after) return 'same';
  if (isDynamicArg(before) || isDynamicArg(after)) return 'unknown';
  const order = Object.hasOwn(orders.guardArgs, guardArgKey(guard, param))
    ? orders.guardArgs[guardArgKey(guard, param)]
    : undefined;
  if (order === undefined) return 'unknown';
  if (Array.isArray(order)) return compareInOrder(order, before, after);
  if (typeof before !== 'number' || typeof after !== 'number' || !Number.isFinite(before) || !Number.isFinite(after))
    return 'unknown';
  const higher = after > before;
  if (order === 'higher-is-stronger') return higher ? 'stronger' : 'weaker';
  if (order === 'lower-is-stronger') return higher ? 'weaker' : 'stronger';
  return 'unknown';
}
