import type { WeChatErrorClass } from '../../shared/wechat/errors';

/** docs/wechat-protocol.md §4's error codes and the class each must map to. */
export const ERRCODE_CLASSES: readonly [number, WeChatErrorClass][] = [
  [-1, 'retryable'],
  [45011, 'retryable'],
  [40001, 'token_invalid'],
  [42001, 'token_invalid'],
  [40014, 'token_invalid'],
  [45009, 'quota'],
  [85085, 'quota'],
  [61003, 'tenant_revoked'],
  [61023, 'needs_reauth'],
  [61007, 'needs_reauth'],
  [48001, 'needs_reauth'],
  // Everything else is permanent, including codes the pipeline reports but cannot fix by retrying.
  [61004, 'permanent'],
  [85013, 'permanent'],
];
