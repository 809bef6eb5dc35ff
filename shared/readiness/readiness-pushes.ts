/**
 * Pushes that tell of a change to a mini-program's release gates: each is followed by a readiness
 * check of that mini-program (the push says that something changed; the reads say what).
 */

/** Authorization-event InfoTypes (POST /wechat/ticket): ICP filing and verification results. */
export const READINESS_INFO_TYPES: ReadonlySet<string> = new Set([
  'notify_apply_icpfiling_result',
  'notify_icpfiling_verify_result',
  'notify_3rd_wxa_auth_and_icp',
  'notify_3rd_wxa_auth',
  'notify_3rd_wxa_wxverify',
]);

/** Message events to the mini-program's callback: the nickname audit and the category audit results. */
export const READINESS_EVENTS: ReadonlySet<string> = new Set(['wxa_nickname_audit', 'wxa_category_audit']);
