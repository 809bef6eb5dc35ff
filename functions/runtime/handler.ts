import * as z from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { authorizeServiceKey } from '../../shared/http/service-key-auth';
import { parseOr400 } from '../../shared/http/validation';
import { accessToken, login, proxy } from '../../shared/runtime/runtime-api';
import { services } from '../../shared/services';

const LoginBody = z.object({ code: z.string().min(1).max(128) }).strict();

/** The runtime API for the template's own backend, with a service key: user login, the tenant's token, and a WeChat proxy. */
export const handler = httpHandler(
  byRouteKey({
    'POST /runtime/{appid}/login': async (event) => {
      const appid = await authorizeServiceKey(services(), event, 'login');
      const { code } = parseOr400(LoginBody, bodyJson(event, 4096));
      return json(200, await login(services(), appid, code));
    },
    'GET /runtime/{appid}/access-token': async (event) => json(200, await accessToken(services(), await authorizeServiceKey(services(), event, 'token'))),
    'POST /runtime/{appid}/wechat/{path+}': async (event) => {
      const appid = await authorizeServiceKey(services(), event, 'proxy');
      const answer = await proxy(services(), appid, event.pathParameters?.path ?? '', bodyJson(event, 1024 * 1024));
      return { statusCode: answer.status, headers: { 'content-type': answer.contentType || 'application/json' }, body: answer.body.toString('base64'), isBase64Encoded: true };
    },
  }),
);
