/**
 * The domain's own errors: what went wrong, in the caller's terms, with a short stable code.
 * Domain modules throw these and never HTTP errors; `shared/http/error-mapping.ts` gives each
 * kind its status at the edge (400, 403, 404, 409, 413, 422, 429, 502), and the queue worker can tell a
 * refusal from a fault without knowing about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: 'invalid_input' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unprocessable' | 'rate_limited' | 'unexpected_answer';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller sent something malformed or out of range; sending it again will not help. */
export class InvalidInput extends DomainError {
  readonly kind = 'invalid_input';
}

/** The caller is known but may not do this (a service key without that tenant or scope). */
export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
}

/** Asked too often (WeChat's 45011 for a caller): slow down and ask again. */
export class RateLimited extends DomainError {
  readonly kind = 'rate_limited';
}

/** What the caller named does not exist. */
export class NotFound extends DomainError {
  readonly kind = 'not_found';
}

/** Well-formed, but the current state does not allow it (e.g. retrying a cancelled deployment). */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

/** The input exceeds a size limit. */
export class TooLarge extends DomainError {
  readonly kind = 'too_large';
}

/** Well-formed, but it cannot be turned into what was asked for (e.g. an ext_json WeChat would refuse). */
export class Unprocessable extends DomainError {
  readonly kind = 'unprocessable';
}

/** WeChat answered something we cannot use (not an errcode: a wrong content type, a missing field). */
export class UnexpectedAnswer extends DomainError {
  readonly kind = 'unexpected_answer';
}
