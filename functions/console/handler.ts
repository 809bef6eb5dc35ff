import { consoleAsset, consolePage } from '../../shared/http/console-assets';
import { httpHandler } from '../../shared/http/handler';
import { redirect } from '../../shared/http/responses';

/**
 * The operator console: `GET /` and `GET /console` lead to its first page (/console/fleet), hashed assets under
 * /console/assets, and every other /console path is the app's page (its router takes it from there).
 */
export const handler = httpHandler(async (event) => {
  const path = event.rawPath;
  if (path === '/' || path === '/console') return redirect('/console/fleet');
  const rest = event.pathParameters?.path ?? '';
  return rest.startsWith('assets/') ? consoleAsset(rest) : consolePage();
});
