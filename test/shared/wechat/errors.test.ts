import { describe, expect, it } from 'vitest';
import { classifyErrcode, isWeChatApiError, WeChatApiError } from '../../../shared/wechat/errors';
import { ERRCODE_CLASSES } from '../../support/errcode-classes';
import type { WeChatErrorClass } from '../../../shared/wechat/errors';

describe('classifyErrcode', () => {
  const table: [number, WeChatErrorClass][] = [
    ...ERRCODE_CLASSES,
    [61039, 'permanent'],
    [85009, 'permanent'],
    [86002, 'permanent'],
    [87013, 'permanent'],
    [12345, 'permanent'],
  ];

  it.each(table)('errcode %i is %s', (code, expected) => {
    expect(classifyErrcode(code)).toBe(expected);
  });
});

describe('WeChatApiError', () => {
  it('carries code, verbatim errmsg, class and path', () => {
    const error = new WeChatApiError({ code: 61023, errmsg: 'invalid refresh_token rid: 6650-abc', path: '/cgi-bin/component/api_authorizer_token' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'WeChatApiError',
      code: 61023,
      errmsg: 'invalid refresh_token rid: 6650-abc',
      errorClass: 'needs_reauth',
      path: '/cgi-bin/component/api_authorizer_token',
      network: false,
    });
    expect(String(error)).toContain('/cgi-bin/component/api_authorizer_token');
    expect(String(error)).toContain('61023');
    expect(String(error)).toContain('invalid refresh_token rid: 6650-abc');
  });

  it('marks network failures as retryable system-busy errors', () => {
    const error = new WeChatApiError({ code: -1, errmsg: 'timed out after 10000 ms', path: '/wxa/commit', network: true });
    expect(error).toMatchObject({ code: -1, errorClass: 'retryable', network: true });
    expect(error.message).toContain('unreachable');
  });
});

describe('isWeChatApiError', () => {
  it('recognises only WeChatApiError instances', () => {
    expect(isWeChatApiError(new WeChatApiError({ code: 40001, errmsg: 'x', path: '/wxa/release' }))).toBe(true);
    expect(isWeChatApiError(new Error('boom'))).toBe(false);
    expect(isWeChatApiError({ code: 40001, errmsg: 'x', path: '/wxa/release' })).toBe(false);
    expect(isWeChatApiError(undefined)).toBe(false);
  });
});
