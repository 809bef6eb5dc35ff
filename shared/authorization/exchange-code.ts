import { logger } from '../logger';
import type { Services } from '../services';
import type { TenantProfile } from '../tenants/tenant';
import { isWeChatApiError, type WeChatApiError } from '../wechat/errors';
import type { AuthorizerInfoResponse } from '../wechat/types';
import { CodeClaims, type Authorization } from './code-claims';

export type ExchangeResult =
  /** `again`: the mini-program had been authorized before (e.g. revoked, then authorized again). */
  | { outcome: 'authorized'; appid: string; again: boolean }
  /** The code was exchanged already (by the `authorized` push, or an earlier visit), `completedAtMs` then. */
  | { outcome: 'duplicate'; appid?: string; again?: boolean; completedAtMs?: number }
  | { outcome: 'rejected'; code: number; message: string };

/** How long the second arrival of a code waits for the first to finish, to name the tenant. */
const DUPLICATE_WAIT_MS = 3_000;

/**
 * Turns an authorization code into an active tenant with working tokens: claim the code (once,
 * whichever of the OAuth redirect and the `authorized` push comes first), api_query_auth, store the
 * tokens, then the tenant, then its profile. Tokens are stored before the tenant turns active, so
 * an active tenant always has them.
 */
export async function exchangeAuthorizationCode(services: Services, code: string, nowMs = Date.now()): Promise<ExchangeResult> {
  const claims = new CodeClaims(services.db, services.table);
  if (!(await claims.claim(code, nowMs))) return waitForFirstArrival(services, claims, code);

  let authorization;
  try {
    const answer = await services.wechat.component.queryAuth(code);
    authorization = answer.authorization_info;
  } catch (error) {
    if (isWeChatApiError(error) && !error.network && error.errorClass === 'permanent') {
      await claims.fail(code, describe(error));
      return { outcome: 'rejected', code: error.code, message: error.errmsg };
    }
    await claims.release(code);
    throw error;
  }

  await claims.saveAnswer(code, authorization, nowMs);
  return completeAuthorization(services, claims, code, authorization, nowMs);
}

/** Stores what api_query_auth answered: tokens first, then the tenant, then its profile, then marks the code done. */
async function completeAuthorization(services: Services, claims: CodeClaims, code: string, authorization: Authorization, authorizedAtMs: number): Promise<ExchangeResult> {
  const appid = authorization.authorizer_appid;
  const before = await services.tenants.get(appid);
  // Authorized before, then revoked or asked to re-authorize: this authorization brings it back.
  const again = before !== undefined && before.status !== 'active' && before.authorizedAtMs < authorizedAtMs;
  await services.authorizerTokens.storeAuthorization(
    appid,
    {
      accessToken: authorization.authorizer_access_token,
      expiresInSeconds: authorization.expires_in,
      refreshToken: authorization.authorizer_refresh_token,
    },
    authorizedAtMs,
  );
  const permissions = (authorization.func_info ?? []).map((f) => f.funcscope_category.id);
  await services.tenants.saveAuthorization(appid, permissions, authorizedAtMs);
  // The profile before the claim is done: the other arrival of the code (the merchant's redirect,
  // usually) waits for `done` and then names the mini-program on its page.
  await refreshProfile(services, appid);
  await claims.complete(code, appid, again);
  return { outcome: 'authorized', appid, again };
}

/** Fetches nick name, head image, principal, gh_ id and categories; a failure only costs the profile. */
export async function refreshProfile(services: Services, appid: string): Promise<void> {
  try {
    const info = await services.wechat.component.getAuthorizerInfo(appid);
    await services.tenants.saveProfile(appid, toProfile(info));
  } catch (error) {
    logger.warn('could not fetch authorizer info; the profile will be filled on the next refresh', { appid, error: error as Error });
  }
}

function toProfile(info: AuthorizerInfoResponse): TenantProfile {
  const a = info.authorizer_info;
  return {
    nickName: a.nick_name,
    headImg: a.head_img,
    principalName: a.principal_name,
    userName: a.user_name,
    signature: a.signature,
    categories: a.MiniProgramInfo?.categories,
  };
}

/** A claim untouched this long belongs to an invocation that died (Lambda's timeout is far shorter). */
const ABANDONED_AFTER_MS = 60_000;

async function waitForFirstArrival(services: Services, claims: CodeClaims, code: string): Promise<ExchangeResult> {
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (;;) {
    const claim = await claims.get(code);
    if (claim?.state === 'done') {
      return { outcome: 'duplicate', appid: claim.appid, again: claim.again, ...(claim.doneAtMs === undefined ? {} : { completedAtMs: claim.doneAtMs }) };
    }
    if (claim?.state === 'failed') return { outcome: 'rejected', code: 0, message: claim.reason };
    if (claim?.state === 'exchanged' && Date.now() - claim.claimedAtMs > ABANDONED_AFTER_MS && (await claims.takeOver(code, claim.claimedAtMs))) {
      // The first arrival got WeChat's answer and died before storing it: finish its work.
      return completeAuthorization(services, claims, code, claim.authorization, claim.authorizedAtMs);
    }
    if (Date.now() > deadline) return { outcome: 'duplicate' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function describe(error: WeChatApiError): string {
  return `${error.code}: ${error.errmsg}`;
}
