import { httpHandler } from '../../shared/http/handler';
import { HttpError } from '../../shared/http/errors';

// Placeholder until the fan-out deploy lands: answers a clear 501 instead of pretending to work.
export const handler = httpHandler(
  async () => {
    throw new HttpError(501, 'not_implemented', 'this route arrives with the fan-out deploy');
  },
  { operatorOnly: true },
);
