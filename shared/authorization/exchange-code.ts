import { logger } from '../logger';
import { requestReadinessCheck } from '../readiness/refresh-readiness';
import type { Services } from '../services';
import type { TenantProfile } from '../tenants/tenant';
import { isWeChatApiError, type WeChatApiError } from '../wechat/errors';
import type { AuthorizerInfoResponse } from '../wechat/types';
import { CodeClaims, type Authorization } from './code-claims';
import { syncAuthorizers } from './sync-authorizers';

export type ExchangeResult =
  /** `again`: the mini-program had been authorized before (e.g. revoked, then authorized again). */
  | { outcome: 'authorized'; appid: string; again: boolean }
  /** The code was exchanged already (by the `authorized` push, or an earlier visit), `completedAtMs` then. */
  | { outcome: 'duplicate'; appid?: string; again?: boolean; completedAtMs?: number }
  | { outcome: 'rejected'; code: number; message: string }
  /**
   * The code was spent at WeChat by an exchange that died, and this arrival (the redirect, which
   * names no mini-program) cannot tell which authorization was its: WeChat holds it, and the
   * authorizer sync (run just now, and on schedule) keeps it.
   */
  | { outcome: 'received' }
  /** Another arrival of the code is still exchanging it: ask again shortly. */
  | { outcome: 'in_progress' };

/** How long the second arrival of a code waits for the first to finish, to name the tenant. */
const DUPLICATE_WAIT_MS = 3_000;

/**
 * Turns an authorization code into an active tenant with working tokens: claim the code (once,
 * whichever of the OAuth redirect and the `authorized` push comes first), api_query_auth, store the
 * tokens, then the tenant, then its profile. Tokens are stored before the tenant turns active, so
 * an active tenant always has them.
 */
export async function exchangeAuthorizationCode(services: Services, code: string, options: { appid?: string; nowMs?: number } = {}): Promise<ExchangeResult> {
  const nowMs = options.nowMs ?? Date.now();
  const claims = new CodeClaims(services.db, services.table);
  if (!(await claims.claim(code, nowMs, options.appid))) return waitForFirstArrival(services, claims, code, options.appid);
  return exchangeClaimed(services, claims, code, nowMs, { takenOver: false, appid: options.appid });
}

/** A code's exchange counts as this visit's authorization this long: the code's own lifetime. */
const FRESH_AUTHORIZATION_MS = 10 * 60_000;

/**
 * What the merchant's visit amounts to, for the result page. The `authorized` push usually
 * exchanges the code before the browser arrives: that is still this authorization (and a
 * re-authorization after a revocation says so). Only a visit long after the code was used is
 * "already authorized".
 */
export function whatTheMerchantDid(result: ExchangeResult, nowMs = Date.now()): { authorizedAgain: boolean; alreadyAuthorized: boolean } {
  const again = 'again' in result && result.again === true;
  const recent = result.outcome === 'duplicate' && result.completedAtMs !== undefined && nowMs - result.completedAtMs < FRESH_AUTHORIZATION_MS;
  return { authorizedAgain: again, alreadyAuthorized: result.outcome === 'duplicate' && !again && !recent };
}

/** WeChat's answers to api_query_auth for a code already used (61009) or expired (61010). */
const CODE_CONSUMED = new Set([61009, 61010]);

/** This caller holds the claim: api_query_auth, then store what it answered. */
async function exchangeClaimed(
  services: Services,
  claims: CodeClaims,
  code: string,
  nowMs: number,
  holder: { takenOver: boolean; appid?: string },
): Promise<ExchangeResult> {
  let authorization;
  try {
    const answer = await services.wechat.component.queryAuth(code);
    authorization = answer.authorization_info;
  } catch (error) {
    if (isWeChatApiError(error) && !error.network && error.errorClass === 'permanent') {
      // The dead holder may have used the single-use code at WeChat before dying: the authorization
      // is WeChat's all the same, and its authorizer list hands it back.
      if (holder.takenOver && CODE_CONSUMED.has(error.code)) return recoverConsumedCode(services, claims, code, holder.appid, error);
      await claims.fail(code, describe(error));
      return { outcome: 'rejected', code: error.code, message: error.errmsg };
    }
    await claims.release(code);
    throw error;
  }

  await claims.saveAnswer(code, authorization, nowMs);
  return completeAuthorization(services, claims, code, authorization, nowMs);
}

/**
 * A taken-over code WeChat says was used: recover the authorization from api_get_authorizer_list.
 * The push names the mini-program; the redirect does not, so there the one authorization the sync
 * recovered is this code's (more than one: it cannot tell, and says the code is spent).
 */
async function recoverConsumedCode(services: Services, claims: CodeClaims, code: string, appid: string | undefined, error: WeChatApiError): Promise<ExchangeResult> {
  const before = appid ? await services.tenants.get(appid) : undefined;
  const sync = await syncAuthorizers(services, appid ? { only: appid } : {});
  const recovered = appid ?? (sync.recovered.length === 1 ? sync.recovered[0] : undefined);
  const tenant = recovered ? await services.tenants.get(recovered) : undefined;
  if (!recovered && !appid) {
    // None recovered (another arrival or the schedule got there first) or several: the code was
    // ours and is spent, so its authorization exists; only its mini-program cannot be named.
    logger.info('an interrupted code exchange was spent at WeChat; its authorization is kept by the authorizer sync', { recovered: sync.recovered.length });
    await claims.receive(code);
    return { outcome: 'received' };
  }
  if (!recovered || tenant?.status !== 'active') {
    await claims.fail(code, describe(error));
    return { outcome: 'rejected', code: error.code, message: error.errmsg };
  }
  logger.info('an interrupted code exchange was recovered from the authorizer list', { appid: recovered });
  const again = before !== undefined && before.status !== 'active';
  await claims.complete(code, recovered, again);
  return { outcome: 'authorized', appid: recovered, again };
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
  // What WeChat would refuse at release (ICP, privacy guide, basic info, categories), known from the start.
  await requestReadinessCheck(services, appid);
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

/**
 * A claim untouched this long belongs to an invocation that died: longer than an exchange takes
 * (api_query_auth, three writes, the profile), far shorter than the merchant's patience.
 */
export function staleClaimMs(): number {
  const seconds = Number(process.env.AUTH_CODE_STALE_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}

async function waitForFirstArrival(services: Services, claims: CodeClaims, code: string, appid: string | undefined): Promise<ExchangeResult> {
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (;;) {
    const claim = await claims.get(code);
    if (claim?.state === 'done') {
      return { outcome: 'duplicate', appid: claim.appid, again: claim.again, ...(claim.doneAtMs === undefined ? {} : { completedAtMs: claim.doneAtMs }) };
    }
    if (claim?.state === 'failed') return { outcome: 'rejected', code: 0, message: claim.reason };
    if (claim?.state === 'received') return { outcome: 'received' };
    if (claim === undefined) {
      // Expired (a day on): this arrival claims it afresh.
      const nowMs = Date.now();
      if (await claims.claim(code, nowMs, appid)) return exchangeClaimed(services, claims, code, nowMs, { takenOver: false, appid });
    } else if (Date.now() - claim.claimedAtMs > staleClaimMs()) {
      const nowMs = Date.now();
      if (await claims.takeOver(code, claim.claimedAtMs, nowMs, appid)) {
        // The first arrival got WeChat's answer and died before storing it: finish its work.
        if (claim.state === 'exchanged') return completeAuthorization(services, claims, code, claim.authorization, claim.authorizedAtMs);
        // It died before (or while) asking WeChat: ask again (or, the code being spent, recover).
        return exchangeClaimed(services, claims, code, nowMs, { takenOver: true, appid: appid ?? claim.appid });
      }
    }
    if (Date.now() > deadline) return { outcome: 'in_progress' };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function describe(error: WeChatApiError): string {
  return `${error.code}: ${error.errmsg}`;
}
