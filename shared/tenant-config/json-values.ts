/**
 * Hygiene for operator-supplied JSON before it is validated, stored in DynamoDB and committed to
 * WeChat. Free-form parts of a configuration (`ext`, page configs) may hold any JSON, but only JSON
 * that survives the round trip unchanged: DynamoDB refuses numbers past ±(2^53−1) through the SDK
 * and magnitudes under 1e-130, nests at most 32 levels, and a lone UTF-16 surrogate would not come
 * back as it went in. `__proto__` keys are refused so no merge can ever touch a prototype.
 */

/** Levels of objects/arrays below the configuration itself (DynamoDB's own limit is 32, `config` is one). */
export const MAX_JSON_DEPTH = 12;
const SMALLEST_NUMBER = 1e-130;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Where the value breaks the rules, as `path: problem`, or undefined when it is clean JSON. */
export function jsonProblem(value: unknown, path: string, depth = 0): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'string') {
    return LONE_SURROGATE.test(value) ? `${path}: is not well-formed Unicode (lone surrogate)` : undefined;
  }
  if (typeof value === 'number') return numberProblem(value, path);
  if (typeof value !== 'object') return `${path}: ${typeof value} is not a JSON value`;
  if (depth >= MAX_JSON_DEPTH) return `${path}: nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = jsonProblem(item, `${path}[${i}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return `${path}: is not a plain JSON object`;
  for (const key of Object.keys(value)) {
    if (key === '') return `${path}: has an empty key`;
    if (FORBIDDEN_KEYS.has(key)) return `${path}: the key "${key}" is not allowed`;
    const problem = jsonProblem((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function numberProblem(value: number, path: string): string | undefined {
  if (!Number.isFinite(value)) return `${path}: must be a finite number`;
  const magnitude = Math.abs(value);
  if (magnitude > Number.MAX_SAFE_INTEGER) return `${path}: numbers must lie within ±${Number.MAX_SAFE_INTEGER}`;
  if (magnitude !== 0 && magnitude < SMALLEST_NUMBER) return `${path}: numbers closer to zero than ${SMALLEST_NUMBER} cannot be stored`;
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
