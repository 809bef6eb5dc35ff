/** An error a caller can act on: mapped to `{error:{code,message}}` with its status code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const unauthorized = (message = 'missing or invalid bearer token') => new HttpError(401, 'unauthorized', message);
export const notFound = (code: string, message: string) => new HttpError(404, code, message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);
export const payloadTooLarge = (message: string) => new HttpError(413, 'payload_too_large', message);
