/**
 * WeChat errcodes the code acts on, by name (docs/wechat-protocol.md §4). What each means for a
 * caller in general is its class (`errors.ts`); what a deploy step does about one is in the step.
 */
export const ERRCODE = {
  SYSTEM_BUSY: -1,
  INVALID_CREDENTIAL: 40001,
  INVALID_ACCESS_TOKEN: 40014,
  ACCESS_TOKEN_EXPIRED: 42001,
  DAILY_QUOTA: 45009,
  FREQUENCY_LIMIT: 45011,
  API_UNAUTHORIZED: 48001,
  COMPONENT_NOT_AUTHORIZED: 61003,
  IP_NOT_WHITELISTED: 61004,
  TICKET_EXPIRED: 61005,
  TICKET_INVALID: 61006,
  API_UNAUTHORIZED_TO_COMPONENT: 61007,
  REFRESH_TOKEN_INVALID: 61023,
  PRIVACY_SCAN_PENDING: 61039,
  ALREADY_UNDER_AUDIT: 85009,
  INVALID_AUDIT_ID: 85012,
  NO_AUDIT_VERSION: 85019,
  STATUS_NOT_ALLOWED: 85020,
  ALREADY_RELEASED: 85052,
  TEMPLATE_NOT_FOUND: 85064,
  TEMPLATE_LIBRARY_FULL: 85065,
  NOTHING_ONLINE: 85079,
  NO_APPROVED_AUDIT: 85080,
  INVALID_GRAY_PERCENTAGE: 85081,
  GRAY_NOT_HIGHER: 85082,
  AUDIT_QUOTA_EXHAUSTED: 85085,
  NOT_COMMITTED: 85086,
  GRAY_RELEASE_IN_PROGRESS: 87011,
  NO_EARLIER_VERSION: 87012,
  NO_UNDO_AUDIT_QUOTA: 87013,
} as const;

/**
 * api_component_token refused the platform's component_verify_ticket (expired or invalid): WeChat
 * is asked to push a new one, so whatever needed the token is worth retrying.
 */
export const TICKET_REFUSED: ReadonlySet<number> = new Set([ERRCODE.TICKET_EXPIRED, ERRCODE.TICKET_INVALID]);
