import * as z from 'zod';
import type { PushPage } from '../../shared/contract/operator-api';
import { httpHandler } from '../../shared/http/handler';
import { queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { MAX_PUSH_TYPE_LENGTH, pushLogFromEnv } from '../../shared/pushes/push-log';
import { isAppid } from '../../shared/tenants/tenant';

const ListQuery = z.object({
  appid: z.string().refine(isAppid, { error: 'must be wx + 16 hex digits' }).optional(),
  type: z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_PUSH_TYPE_LENGTH}}$`), { error: 'must be an InfoType, a MsgType or event:<Event>' })
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  nextToken: z.string().max(2048).optional(),
});

/**
 * The pushes WeChat sent (authorization events and messages), newest first. Reads the log alone,
 * not `services()`: this function calls no WeChat API (infra/functions.ts: callsWeChat false).
 */
export const handler = httpHandler(
  async (event) => {
    const page = await pushLogFromEnv().list(parseOr400(ListQuery, queryParams(event)));
    return json(200, page satisfies PushPage);
  },
  { operatorOnly: true },
);
