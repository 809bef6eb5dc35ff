import type { Blocker } from '../readiness/blockers';
import { ERRCODE } from '../wechat/errcodes';
import type { WeChatApiError } from '../wechat/errors';

/**
 * What WeChat's refusals mean for the operator, in words they can act on. A target's error keeps
 * WeChat's errcode as its code; its message says what happened and what to do, then WeChat's own
 * errmsg (with its rid, which WeChat support asks for).
 */
const EXPLANATIONS: ReadonlyMap<number, string> = new Map([
  [ERRCODE.NO_EARLIER_VERSION, 'no earlier version to roll back to'],
  [ERRCODE.GRAY_RELEASE_IN_PROGRESS, 'a gray release is running: complete it or revert it first'],
  [ERRCODE.NO_UNDO_AUDIT_QUOTA, 'WeChat allows no more audit withdrawals for now: the audit continues, and its result settles the target'],
  [ERRCODE.NOTHING_ONLINE, 'nothing is online yet, so this first release cannot be gray: release it fully'],
  [ERRCODE.NO_APPROVED_AUDIT, 'WeChat has no approved version waiting to be released'],
  [ERRCODE.AUDIT_QUOTA_EXHAUSTED, 'the monthly audit quota is used up'],
  [ERRCODE.IP_NOT_WHITELISTED, "this server's IP is not on the third-party platform's whitelist"],
]);

/** The same errcode means something else from these APIs. */
const EXPLANATIONS_BY_PATH: Readonly<Record<string, ReadonlyMap<number, string>>> = {
  '/wxa/undocodeaudit': new Map([[ERRCODE.NO_EARLIER_VERSION, 'no audit under review to withdraw: WeChat has already decided it, and its result settles the target']]),
};

export function explainWeChatError(error: Pick<WeChatApiError, 'code' | 'errmsg' | 'network' | 'path'>): string {
  if (error.network) return `WeChat could not be reached: ${error.errmsg}`;
  const explanation = EXPLANATIONS_BY_PATH[error.path]?.get(error.code) ?? EXPLANATIONS.get(error.code);
  return explanation ? `${explanation} (WeChat: ${error.errmsg})` : error.errmsg;
}

/**
 * A step found, before or instead of calling WeChat, that it cannot do what was asked (no earlier
 * version, our version no longer online): refused, with WeChat's errcode as the code where it applies.
 */
export class StepRefused extends Error {
  constructor(
    readonly code: number | string,
    message: string,
  ) {
    super(message);
    this.name = 'StepRefused';
  }
}

/** A release gate stops the target before (or instead of) WeChat's refusal: it ends `blocked` with the blocker. */
export class GateBlocked extends Error {
  constructor(readonly blocker: Blocker) {
    super(blocker.message);
    this.name = 'GateBlocked';
  }
}
