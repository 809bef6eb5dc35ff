import { httpHandler } from '../../shared/http/handler';
import { HttpError } from '../../shared/http/errors';

// Placeholder until its issue lands: answers a clear 501 instead of pretending to work.
export const handler = httpHandler(async () => {
  throw new HttpError(501, 'not_implemented', 'this route is not implemented yet');
});
