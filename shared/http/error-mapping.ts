import { InvalidPageTokenError } from '../db/page-token';
import { DomainError } from '../errors';
import { NoVerifyTicketError, TenantUnusableError } from '../tokens/errors';
import { WeChatCryptoError } from '../wechat/crypto';
import { isWeChatApiError } from '../wechat/errors';
import { XmlError } from '../wechat/xml-error';
import { HttpError } from './errors';

/**
 * Maps domain errors to what the caller should see. Anything a sender got wrong is a 4xx; WeChat
 * being unavailable is a 502/503; nothing here echoes secrets (WeChat errors never carry tokens).
 */
const STATUS_BY_KIND: Record<DomainError['kind'], number> = {
  invalid_input: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unexpected_answer: 502,
};

export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) return new HttpError(STATUS_BY_KIND[error.kind], error.code, error.message);
  if (error instanceof WeChatCryptoError) {
    return error.reason === 'invalid_signature'
      ? new HttpError(401, 'invalid_signature', 'signature verification failed')
      : new HttpError(400, error.reason, error.message);
  }
  if (error instanceof XmlError) {
    return error.reason === 'too_large'
      ? new HttpError(413, 'payload_too_large', error.message)
      : new HttpError(400, `xml_${error.reason}`, error.message);
  }
  if (error instanceof InvalidPageTokenError) return new HttpError(400, 'invalid_next_token', error.message);
  if (error instanceof TenantUnusableError) return new HttpError(409, `tenant_${error.reason}`, error.message);
  if (error instanceof NoVerifyTicketError) return new HttpError(503, 'no_verify_ticket', error.message);
  if (isWeChatApiError(error)) {
    const code = error.network ? 'wechat_unreachable' : `wechat_${error.code}`;
    return new HttpError(error.network ? 503 : 502, code, error.message);
  }
  return undefined;
}
