/**
 * State changes that WeChat announces with a push to the authorization-event URL: a new
 * component_verify_ticket, an authorization granted or updated, an authorization revoked.
 */
import type { EmulatorContext } from './context';
import type { PushResult } from './pushes';
import type { MiniProgram, TicketRecord } from './state';

export function pushNewTicket(ctx: EmulatorContext): { ticket: TicketRecord; delivery: Promise<PushResult> } {
  const ticket = ctx.state.issueTicket();
  const delivery = ctx.pushes.componentEvent('component_verify_ticket', { ComponentVerifyTicket: ticket.value });
  return { ticket, delivery };
}

export interface Consent {
  authCode: string;
  /** Epoch seconds, as in AuthorizationCodeExpiredTime. */
  authCodeExpiresAt: number;
  infoType: 'authorized' | 'updateauthorized';
  delivery: Promise<PushResult>;
}

/** The person consented on the authorization page: authorize, issue a code, push the event. */
export function grantAuthorization(ctx: EmulatorContext, mp: MiniProgram, preAuthCode: string): Consent {
  const { wasAuthorized } = ctx.state.authorize(mp);
  const { code, expiresAt } = ctx.state.createAuthCode(mp.appid);
  const infoType = wasAuthorized ? 'updateauthorized' : 'authorized';
  const authCodeExpiresAt = Math.floor(expiresAt / 1000);
  ctx.log(`${mp.appid} ${infoType} the platform`);
  const delivery = ctx.pushes.componentEvent(infoType, {
    AuthorizerAppid: mp.appid,
    AuthorizationCode: code,
    AuthorizationCodeExpiredTime: authCodeExpiresAt,
    PreAuthCode: preAuthCode,
  });
  return { authCode: code, authCodeExpiresAt, infoType, delivery };
}

/** The mini-program's admin cancelled the authorization in WeChat. */
export function revokeAuthorization(ctx: EmulatorContext, mp: MiniProgram): Promise<PushResult> {
  ctx.state.revoke(mp);
  ctx.log(`${mp.appid} revoked the authorization`);
  return ctx.pushes.componentEvent('unauthorized', { AuthorizerAppid: mp.appid });
}
