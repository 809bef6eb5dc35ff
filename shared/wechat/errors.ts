/**
 * WeChat API errors and what a caller should do about them (docs/wechat-protocol.md §4, "Error
 * codes a deploy pipeline must act on"). The class decides the reaction; the code is kept for reporting.
 */
import { ERRCODE } from './errcodes';

export type WeChatErrorClass =
  | 'retryable'
  | 'token_invalid'
  | 'quota'
  | 'tenant_revoked'
  | 'needs_reauth'
  | 'permanent';

/** errcode WeChat uses for "system busy"; also what we report for network failures. */
export const SYSTEM_BUSY = ERRCODE.SYSTEM_BUSY;

const CLASS_BY_ERRCODE: ReadonlyMap<number, WeChatErrorClass> = new Map([
  [ERRCODE.SYSTEM_BUSY, 'retryable'],
  [ERRCODE.FREQUENCY_LIMIT, 'retryable'], // back off and try again
  [ERRCODE.INVALID_CREDENTIAL, 'token_invalid'],
  [ERRCODE.ACCESS_TOKEN_EXPIRED, 'token_invalid'],
  [ERRCODE.INVALID_ACCESS_TOKEN, 'token_invalid'],
  [ERRCODE.DAILY_QUOTA, 'quota'],
  [ERRCODE.AUDIT_QUOTA_EXHAUSTED, 'quota'], // monthly audit-submission limit: stop submitting fleet-wide
  [ERRCODE.COMPONENT_NOT_AUTHORIZED, 'tenant_revoked'],
  [ERRCODE.REFRESH_TOKEN_INVALID, 'needs_reauth'],
  [ERRCODE.API_UNAUTHORIZED_TO_COMPONENT, 'needs_reauth'],
  [ERRCODE.API_UNAUTHORIZED, 'needs_reauth'],
] as [number, WeChatErrorClass][]);

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
