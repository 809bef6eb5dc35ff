/**
 * WeChat API errors and what a caller should do about them (protocol doc §4, "Error codes a
 * deploy pipeline must act on"). The class decides the reaction; the code is kept for reporting.
 */
export type WeChatErrorClass =
  | 'retryable'
  | 'token_invalid'
  | 'quota'
  | 'tenant_revoked'
  | 'needs_reauth'
  | 'permanent';

/** errcode WeChat uses for "system busy"; also what we report for network failures. */
export const SYSTEM_BUSY = -1;

const CLASS_BY_ERRCODE: ReadonlyMap<number, WeChatErrorClass> = new Map([
  [SYSTEM_BUSY, 'retryable'],
  [45011, 'retryable'], // frequency limit: back off and try again
  [40001, 'token_invalid'],
  [42001, 'token_invalid'],
  [40014, 'token_invalid'],
  [45009, 'quota'],
  [85085, 'quota'], // monthly audit-submission limit: stop submitting fleet-wide
  [61003, 'tenant_revoked'],
  [61023, 'needs_reauth'],
  [61007, 'needs_reauth'],
  [48001, 'needs_reauth'],
]);

export function classifyErrcode(code: number): WeChatErrorClass {
  return CLASS_BY_ERRCODE.get(code) ?? 'permanent';
}

export interface WeChatApiErrorInit {
  code: number;
  errmsg: string;
  /** API path only, e.g. '/wxa/commit' — never with the query string, which carries tokens. */
  path: string;
  network?: boolean;
}

/**
 * A failed WeChat call. Deliberately carries no `cause`: underlying fetch errors can embed the
 * request URL, and with it the access token.
 */
export class WeChatApiError extends Error {
  override readonly name = 'WeChatApiError';
  readonly code: number;
  readonly errmsg: string;
  readonly errorClass: WeChatErrorClass;
  readonly path: string;
  readonly network: boolean;

  constructor(init: WeChatApiErrorInit) {
    const network = init.network ?? false;
    super(
      network
        ? `WeChat ${init.path} unreachable: ${init.errmsg}`
        : `WeChat ${init.path} failed with errcode ${init.code}: ${init.errmsg}`,
    );
    this.code = init.code;
    this.errmsg = init.errmsg;
    this.errorClass = classifyErrcode(init.code);
    this.path = init.path;
    this.network = network;
  }
}

export function isWeChatApiError(e: unknown): e is WeChatApiError {
  return e instanceof WeChatApiError;
}
