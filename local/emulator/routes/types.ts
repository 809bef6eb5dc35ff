/**
 * How an API route is declared: the documented method, which token it takes, and a handler that
 * returns the JSON answer (without errcode when WeChat omits it) or binary content, or throws an
 * ApiFailure for an errcode answer.
 */
import type { EmulatorContext } from '../context';
import type { MiniProgram } from '../state';

/** 'component': component_access_token (or access_token); 'authorizer': an authorizer's access_token. */
export type AuthKind = 'none' | 'component' | 'authorizer';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The parsed JSON body of a POST route; {} for GET routes. */
  body: Record<string, unknown>;
  /** The authorized mini-program on 'authorizer' routes. */
  mp?: MiniProgram;
  /** The body as it came, on `body: 'raw'` routes (multipart uploads). */
  raw?: { contentType: string; bytes: Buffer };
}

export type ApiAnswer = Record<string, unknown> | BinaryAnswer;

export class BinaryAnswer {
  constructor(
    readonly contentType: string,
    readonly body: Buffer,
  ) {}
}

export interface ApiRoute {
  path: string;
  /** POST routes require a JSON object body (44002 when empty, 47001 when malformed), unless `body: 'raw'`. */
  method: 'GET' | 'POST';
  auth: AuthKind;
  /**
   * True when the route changes nothing the state file keeps (reads; custom/send, whose messages
   * stay in memory): its answer does not wait for a state write. Unmarked routes are assumed to
   * change state.
   */
  readOnly?: true;
  /**
   * 'raw': the route reads the body itself (`req.raw`, e.g. multipart/form-data), so it is not
   * parsed as JSON and no 44002/47001 is answered for it.
   */
  body?: 'raw';
  /** A larger body limit than the server's MAX_BODY_BYTES, for uploads. */
  maxBodyBytes?: number;
  handle: (req: ApiRequest, ctx: EmulatorContext) => ApiAnswer | Promise<ApiAnswer>;
}

/** The mini-program of an authorizer route (the server always sets it there). */
export function callerOf(req: ApiRequest): MiniProgram {
  if (req.mp === undefined) throw new Error(`${req.path}: no authorizer on this request`);
  return req.mp;
}
