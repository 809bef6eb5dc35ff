/**
 * `nextToken` of the operator API's lists: DynamoDB's LastEvaluatedKey, opaque to the caller.
 * Only a key the store could have issued is accepted back: anything else would reach DynamoDB
 * and come back as a 500.
 */
export class InvalidPageTokenError extends Error {
  constructor() {
    super('nextToken is not one this API issued');
    this.name = 'InvalidPageTokenError';
  }
}

export function encodePageToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The key in `token` if it has exactly `attributes`, all strings, and passes `valid`. */
export function decodePageToken(token: string, attributes: readonly string[], valid: (key: Record<string, unknown>) => boolean): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, unknown>;
    const exact = key && typeof key === 'object' && !Array.isArray(key) && Object.keys(key).sort().join() === [...attributes].sort().join();
    if (exact && Object.values(key).every((v) => typeof v === 'string') && valid(key)) return key;
  } catch {
    // not base64url JSON: refused below
  }
  throw new InvalidPageTokenError();
}
