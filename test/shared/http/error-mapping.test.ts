import { describe, expect, it } from 'vitest';
import { Conflict, InvalidInput, NotFound, TooLarge, UnexpectedAnswer, Unprocessable, type DomainError } from '../../../shared/errors';
import { toHttpError } from '../../../shared/http/error-mapping';
import { HttpError } from '../../../shared/http/errors';

describe('toHttpError', () => {
  it.each<[string, DomainError, number]>([
    ['invalid input', new InvalidInput('invalid_config', 'tabBar.list: must have 2 to 5 items'), 400],
    ['not found', new NotFound('tenant_not_found', 'no tenant wx0000000000000001'), 404],
    ['conflict', new Conflict('template_library_full', 'the template library is full: delete a template first'), 409],
    ['too large', new TooLarge('config_too_large', 'config is 40000 bytes serialized; the limit is 32768'), 413],
    ['unprocessable', new Unprocessable('invalid_ext_json', 'ext_json would be 70000 bytes; the limit is 65536'), 422],
    ['an unexpected answer from WeChat', new UnexpectedAnswer('wechat_unexpected_answer', 'WeChat answered get_qrcode with text/plain, not an image'), 502],
  ])('maps %s to %i with its code and message unchanged', (_kind, error, status) => {
    const mapped = toHttpError(error);
    expect(mapped).toBeInstanceOf(HttpError);
    expect({ status: mapped!.statusCode, code: mapped!.code, message: mapped!.message }).toEqual({ status, code: error.code, message: error.message });
  });

  it('passes an HttpError through and leaves an unknown error to the 500 path', () => {
    const http = new HttpError(401, 'unauthorized', 'missing or invalid bearer token');
    expect(toHttpError(http)).toBe(http);
    expect(toHttpError(new Error('boom'))).toBeUndefined();
  });
});
