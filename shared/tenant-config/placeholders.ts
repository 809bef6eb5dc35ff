/**
 * Per-tenant placeholders in configuration strings: one fragment (say deploy-wide defaults) can
 * carry `{"navigationBarTitleText": "{{nickName}}"}` and every tenant gets its own name.
 *
 * Choices, made to surprise least:
 * - Only string *values* are filled, anywhere (nested objects, arrays); object keys are not.
 * - An unknown placeholder (`{{shopId}}`, `{{ item.name }}`) is left verbatim: the template's own
 *   code may use mustache-like text of its own.
 * - A known placeholder whose value the tenant lacks (e.g. no principalName yet) becomes the empty
 *   string: a literal "{{principalName}}" shown to end users would be worse.
 * - Whitespace inside the braces is allowed (`{{ appid }}`); names are case-sensitive.
 * - Filling is one pass: a nickName that itself reads "{{appid}}" is inserted as written.
 */
import { isPlainObject } from './json-values';

export const PLACEHOLDER_NAMES = ['appid', 'nickName', 'principalName', 'userName'] as const;
export type PlaceholderName = (typeof PLACEHOLDER_NAMES)[number];
export type PlaceholderValues = Partial<Record<PlaceholderName, string>>;

const PLACEHOLDER = new RegExp(`\\{\\{\\s*(${PLACEHOLDER_NAMES.join('|')})\\s*\\}\\}`, 'g');

export function fillString(text: string, values: PlaceholderValues): string {
  return text.replace(PLACEHOLDER, (_whole, name: PlaceholderName) => values[name] ?? '');
}

/** A copy of `value` with every string value filled; other values are kept as they are. */
export function fillPlaceholders<T>(value: T, values: PlaceholderValues): T {
  return fill(value, values) as T;
}

function fill(value: unknown, values: PlaceholderValues): unknown {
  if (typeof value === 'string') return fillString(value, values);
  if (Array.isArray(value)) return value.map((item) => fill(item, values));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, values)]));
  return value;
}
