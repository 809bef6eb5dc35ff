/** No component_verify_ticket has arrived yet, so no component token can be obtained. */
export class NoVerifyTicketError extends Error {
  constructor() {
    super('no component_verify_ticket received yet: WeChat pushes one every 10 minutes to the authorization-event URL');
    this.name = 'NoVerifyTicketError';
  }
}

export type UnusableReason = 'revoked' | 'needs_reauth' | 'not_authorized';

/** The tenant's tokens cannot be used: it revoked us, or it must authorize again. */
export class TenantUnusableError extends Error {
  constructor(
    readonly appid: string,
    readonly reason: UnusableReason,
  ) {
    super(`tenant ${appid} cannot be called: ${reason.replace('_', ' ')}`);
    this.name = 'TenantUnusableError';
  }
}
