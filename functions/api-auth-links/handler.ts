import * as z from 'zod';
import { createAuthLinks } from '../../shared/authorization/auth-links';
import type { AuthLinkRequest as AuthLinkBody } from '../../shared/contract/operator-api';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { services } from '../../shared/services';
import { APPID_PATTERN } from '../../shared/tenants/tenant';

const AuthLinkRequest = z
  .object({
    authType: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
    bizAppid: z.string().regex(APPID_PATTERN, 'must be an appid (wx + 16 hex digits)').optional(),
  })
  .strict() satisfies z.ZodType<AuthLinkBody>;

/** POST /api/auth-links: fresh PC and in-WeChat authorization URLs for an operator to hand out. */
export const handler = httpHandler(
  async (event) => {
    const request = parseOr400(AuthLinkRequest, event.body ? bodyJson(event) : {});
    return json(200, await createAuthLinks(services(), request));
  },
  { operatorOnly: true },
);
