import { exchangeAuthorizationCode } from '../authorization/exchange-code';
import { Conflict, InvalidInput } from '../errors';
import { logger } from '../logger';
import { READINESS_INFO_TYPES } from '../readiness/readiness-pushes';
import { refreshReadinessQuietly } from '../readiness/refresh-readiness';
import { requestOnboarding } from '../onboarding/run-onboarding';
import { applyRegistrationResult } from '../registrations/registrations';
import { recordMetric } from '../metrics/record';
import type { Services } from '../services';
import { openPush, type PushQuery } from '../wechat/envelope';
import { ERRCODE } from '../wechat/errcodes';
import { isWeChatApiError } from '../wechat/errors';
import { requireString, type XmlFields } from '../wechat/xml';
import { pushSubject } from './push-subject';

/** Pushes to the authorization-event URL are small; anything bigger is not from WeChat. */
export const MAX_COMPONENT_PUSH_BYTES = 16 * 1024;

export type ComponentPushOutcome =
  | { infoType: 'component_verify_ticket'; result: 'stored' | 'stale' }
  | { infoType: 'authorized' | 'updateauthorized'; result: string; appid?: string }
  | { infoType: 'unauthorized'; appid: string }
  /** A fast registration's result: the new mini-program became a tenant (`result` as for `authorized`), or WeChat's failure `status`. */
  | { infoType: 'notify_third_fasteregister'; result: string; appid?: string; status: string }
  /**
   * A push mpfleet takes no action on (yet): verification results, ICP
   * filing results, and InfoTypes WeChat adds later. Recorded and answered `success`; `fields`
   * are the decrypted push (secrets included: use, do not log).
   */
  | { infoType: string; result: 'acknowledged'; appid?: string; fields: XmlFields };

/**
 * Handles one push to the authorization-event URL (授权事件接收URL): verify and decrypt, check it is
 * for our platform, record it, then act by InfoType; an InfoType mpfleet does not act on is only
 * recorded. Every action is idempotent, so WeChat's retries and replays change nothing twice.
 */
export async function receiveComponentPush(services: Services, query: PushQuery, body: string): Promise<ComponentPushOutcome> {
  const outcome = await handleComponentPush(services, query, body);
  recordMetric('PushReceived', { by: outcome.infoType });
  return outcome;
}

async function handleComponentPush(services: Services, query: PushQuery, body: string): Promise<ComponentPushOutcome> {
  const crypto = await services.messageCrypto();
  const { fields } = openPush(crypto, query, body, { maxBytes: MAX_COMPONENT_PUSH_BYTES });
  if (requireString(fields, 'AppId') !== services.config.componentAppid) {
    throw new InvalidInput('appid_mismatch', 'push is for another platform');
  }
  const infoType = requireString(fields, 'InfoType');
  const createdAtMs = createTimeMs(fields);
  const subject = pushSubject(fields);
  // Recorded once it is known to be well-formed, before it is acted on: a push whose handling
  // fails (and which WeChat retries) is on record too, and the retry is not recorded again. Not
  // the verify ticket: it comes every ten minutes and its value is a secret.
  const record = () => services.pushLog.record({ source: 'component', type: infoType, ...(subject ? { appid: subject } : {}), createdAtMs, fields });

  switch (infoType) {
    case 'component_verify_ticket': {
      const result = await services.tickets.save(requireString(fields, 'ComponentVerifyTicket'), createdAtMs / 1000);
      logger.info('verify ticket received', { result });
      return { infoType, result };
    }
    case 'authorized':
    case 'updateauthorized': {
      const appid = requireString(fields, 'AuthorizerAppid');
      const code = requireString(fields, 'AuthorizationCode');
      await record();
      const exchange = await exchangeOrAskAgain(services, code, appid);
      // A fast-registered trial becomes a tenant here: its registration's onboarding can start.
      await requestOnboarding(services, appid);
      logger.info('authorization push handled', { infoType, appid, outcome: exchange.outcome });
      return { infoType, appid, result: exchange.outcome };
    }
    case 'unauthorized': {
      const appid = requireString(fields, 'AuthorizerAppid');
      await record();
      const revokedAtMs = await revocationTime(services, appid, createdAtMs);
      if (revokedAtMs === undefined) {
        logger.info('revocation older than the current authorization ignored', { appid });
        return { infoType, appid };
      }
      await services.authorizerTokens.markRevoked(appid, revokedAtMs);
      await services.tenants.markUnusable(appid, 'revoked', 'authorization revoked by the mini-program admin', revokedAtMs);
      logger.info('tenant revoked', { appid });
      return { infoType, appid };
    }
    case 'notify_third_fasteregister': {
      await record();
      await applyRegistrationResult(services, infoType, fields);
      const status = typeof fields.status === 'string' ? fields.status : '';
      const appid = pushSubject(fields);
      const code = typeof fields.auth_code === 'string' ? fields.auth_code : '';
      if (status !== '0' || !appid || !code) {
        logger.warn('fast registration failed at WeChat', { status, msg: typeof fields.msg === 'string' ? fields.msg.slice(0, 200) : undefined });
        return { infoType, result: 'failed', status };
      }
      // The new mini-program is authorized to the platform already: its code becomes a tenant exactly
      // as an authorization's does (claimed once, so WeChat's retry exchanges nothing twice).
      const exchange = await exchangeOrAskAgain(services, code, appid);
      await requestOnboarding(services, appid);
      logger.info('fast-registered mini-program authorized', { appid, outcome: exchange.outcome });
      return { infoType, appid, result: exchange.outcome, status };
    }
    case 'notify_third_fastregisterbetaapp':
      // A trial's result: its tenant comes with the `authorized` push that follows; this names its registration.
      await record();
      await applyRegistrationResult(services, infoType, fields);
      // Usually no tenant yet (the authorization push follows); if it came first, the onboarding starts now.
      if (subject) await requestOnboarding(services, subject);
      logger.info('trial registration result received', { status: fields.status, appid: subject });
      return { infoType, result: 'acknowledged', ...(subject ? { appid: subject } : {}), fields };
    default:
      // Answered `success` whatever it is: refused, WeChat would retry it and the event be lost.
      await record();
      logger.info('push acknowledged', { infoType: infoType.slice(0, 64), appid: subject });
      if (subject && READINESS_INFO_TYPES.has(infoType)) await refreshReadinessQuietly(services, subject);
      return { infoType, result: 'acknowledged', ...(subject ? { appid: subject } : {}), fields };
  }
}

/**
 * Exchanges a pushed authorization code. While another arrival still exchanges it the push is not
 * answered `success`: if that holder has died, WeChat's retry takes its claim over.
 */
async function exchangeOrAskAgain(services: Services, code: string, appid: string) {
  const exchange = await exchangeAuthorizationCode(services, code, { appid });
  if (exchange.outcome === 'in_progress') throw new Conflict('authorization_in_progress', 'the code is being exchanged by another request; retry shortly');
  return exchange;
}

/**
 * When a revocation pushed with `createdAtMs` (whole seconds) happened, for the newest-wins writes:
 * the end of its second, or now if that is earlier (so an authorization processed after this push,
 * in the same second, is later and wins). Undefined when it is older than the tenant's current
 * authorization: the authorization was stored within the revocation's second (CreateTime cannot
 * tell which came first, and a retried or late push must not undo a re-authorization whose code,
 * exchanged once, would not restore it), and WeChat says the mini-program is still authorized.
 */
async function revocationTime(services: Services, appid: string, createdAtMs: number, nowMs = Date.now()): Promise<number | undefined> {
  const tenant = await services.tenants.get(appid);
  if (tenant && tenant.authorizedAtMs >= createdAtMs && tenant.authorizedAtMs <= createdAtMs + 999) {
    try {
      await services.wechat.component.getAuthorizerInfo(appid);
      return undefined;
    } catch (error) {
      // 61003: the account withdrew the authorization, so the revocation came last. Anything else
      // (WeChat unreachable) fails the push, which WeChat retries.
      if (!isWeChatApiError(error) || error.code !== ERRCODE.COMPONENT_NOT_AUTHORIZED) throw error;
    }
  }
  return Math.min(createdAtMs + 999, nowMs);
}

/** How far WeChat's clock may run ahead of ours. */
const MAX_CLOCK_SKEW_MS = 60 * 60_000;

/**
 * A push's CreateTime in ms. One from the future is refused: newest-wins would let it shadow
 * every real ticket WeChat pushes afterwards.
 */
function createTimeMs(fields: XmlFields, nowMs = Date.now()): number {
  const createTime = Number(requireString(fields, 'CreateTime'));
  if (!Number.isSafeInteger(createTime) || createTime <= 0) throw new InvalidInput('invalid_create_time', 'CreateTime must be epoch seconds');
  if (createTime * 1000 > nowMs + MAX_CLOCK_SKEW_MS) throw new InvalidInput('invalid_create_time', 'CreateTime is in the future');
  return createTime * 1000;
}
