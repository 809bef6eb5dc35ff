/**
 * Customer-service messages (cgi-bin/message/custom/send). The emulator records them: the
 * full-network release check (§6) looks for `<code>_from_api` here.
 */
import { ApiFailure, okBody } from '../errors';
import { optionalString, requiredString } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

const MESSAGE_TYPES = new Set(['text', 'image', 'voice', 'video', 'music', 'news', 'mpnews', 'link', 'miniprogrampage', 'wxcard', 'msgmenu']);

export const messageRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/message/custom/send',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const touser = requiredString(body, 'touser', 40003);
      const msgtype = optionalString(body, 'msgtype', 40008);
      if (msgtype === undefined || !MESSAGE_TYPES.has(msgtype)) throw new ApiFailure(40008);
      let content: string | undefined;
      if (msgtype === 'text') {
        const text = body.text;
        content = typeof text === 'object' && text !== null ? (text as { content?: unknown }).content as string : undefined;
        if (typeof content !== 'string' || content === '') throw new ApiFailure(47001, 'text.content missing');
      }
      ctx.state.messages.push({
        time: ctx.now(),
        appid: mp.appid,
        touser,
        msgtype,
        ...(content === undefined ? {} : { content }),
        body,
      });
      return okBody();
    },
  },
];
