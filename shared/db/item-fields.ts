/**
 * Reading DynamoDB items into typed records field by field, instead of casting a whole item: a
 * store's `fromItem` picks what it knows, checks each field's type and leaves storage keys and
 * bookkeeping attributes behind.
 */

export const stringField = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export const numberField = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export const booleanField = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

export const objectField = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** The item cannot be read as what its key says it is: written by something else, or corrupted. */
export class MalformedItemError extends Error {
  constructor(what: string, field: string) {
    super(`${what} item has no valid ${field}`);
    this.name = 'MalformedItemError';
  }
}

/** `value`, or a MalformedItemError naming the field when a required one is missing or mistyped. */
export function required<T>(value: T | undefined, what: string, field: string): T {
  if (value === undefined) throw new MalformedItemError(what, field);
  return value;
}

/** `fields` without its undefined entries, so a record read back has only what was stored. */
export function definedFields<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T;
}
