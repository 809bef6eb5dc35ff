/**
 * Admin routes for a template backend's runtime: issue a wx.login code as if a user opened the
 * mini-program, and push user messages and events to the mini-program's message URL exactly as
 * WeChat pushes customer-service messages (sealed, with its retries).
 */
import { AdminError, knownMiniProgram, optionalText } from './admin-input';
import type { Body } from './admin-input';
import { avatarUrl } from './avatar';
import type { EmulatorContext } from './context';
import type { PushFields, PushResult } from './pushes';
import { record, randomToken, runtimeOf, unionidFor, userOf } from './runtime';
import type { MiniProgram } from './state';

type Handler = (input: { ctx: EmulatorContext; url: URL; body: Body }) => unknown;

export const MSG_TYPES = ['text', 'image', 'event'] as const;
type MsgType = (typeof MSG_TYPES)[number];
/** POST /__admin/user-messages sends at most this many at once. */
export const MAX_USER_MESSAGES = 1000;

function openidInput(body: Body): string | undefined {
  const openid = optionalText(body, 'openid');
  if (openid === undefined || openid === '') return undefined;
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(openid)) throw new AdminError(400, 'openid must be 6-64 characters of A-Z a-z 0-9 _ -');
  return openid;
}

/** The fields of one user message or event, after ToUserName, FromUserName and CreateTime. */
function messageFields(ctx: EmulatorContext, mp: MiniProgram, type: MsgType, body: Body): { fields: PushFields; msgId?: number } {
  if (type === 'event') {
    const event = optionalText(body, 'event');
    if (event === undefined || event === '') throw new AdminError(400, 'event is required for msgType event (e.g. user_enter_tempsession)');
    const eventKey = optionalText(body, 'eventKey');
    const sessionFrom = optionalText(body, 'sessionFrom');
    return {
      fields: {
        MsgType: 'event',
        Event: event,
        ...(eventKey === undefined ? {} : { EventKey: eventKey }),
        ...(sessionFrom === undefined ? {} : { SessionFrom: sessionFrom }),
      },
    };
  }
  const msgId = ctx.state.sequence.nextMsgId++;
  if (type === 'text') {
    const content = optionalText(body, 'content');
    if (content === undefined || content === '') throw new AdminError(400, 'content is required for msgType text');
    return { fields: { MsgType: 'text', Content: content, MsgId: msgId }, msgId };
  }
  const base = ctx.selfUrl?.() ?? '';
  return {
    fields: { MsgType: 'image', PicUrl: avatarUrl(base, mp.appid), MsgId: msgId, MediaId: randomToken(64) },
    msgId,
  };
}

function msgType(body: Body): MsgType {
  const type = body.msgType ?? 'text';
  if (typeof type !== 'string' || !(MSG_TYPES as readonly string[]).includes(type)) throw new AdminError(400, `msgType must be one of ${MSG_TYPES.join(', ')}`);
  return type as MsgType;
}

function push(ctx: EmulatorContext, mp: MiniProgram, openid: string, type: MsgType, body: Body) {
  const { fields, msgId } = messageFields(ctx, mp, type, body);
  const createTime = ctx.state.nowSec();
  record(runtimeOf(mp).userMessages, {
    time: ctx.now(),
    openid,
    msgType: type,
    ...(msgId === undefined ? {} : { msgId }),
    ...(typeof fields.Content === 'string' ? { content: fields.Content } : {}),
    ...(typeof fields.Event === 'string' ? { event: fields.Event } : {}),
  });
  const delivery: Promise<PushResult> = ctx.pushes.miniProgramEvent(mp, openid, fields);
  return { message: { openid, msgType: type, createTime, ...(msgId === undefined ? {} : { msgId }), fields }, delivery };
}

export const RUNTIME_ROUTES: Record<string, Handler> = {
  'POST /__admin/wx-login': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const { code, openid, expiresAt } = ctx.state.issueWxLoginCode(mp, openidInput(body));
    return { appid: mp.appid, code, openid, unionid: unionidFor(openid, mp.principalName), expiresAt };
  },
  'POST /__admin/user-message': async ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const type = msgType(body);
    const openid = userOf(mp, openidInput(body) ?? runtimeOf(mp).users[0]);
    const { message, delivery } = push(ctx, mp, openid, type, body);
    // `wait: true`: answer once WeChat's retries are over, with how the push went.
    if (body.wait === true) return { appid: mp.appid, ...message, delivery: await delivery };
    return { appid: mp.appid, ...message };
  },
  'POST /__admin/user-messages': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const count = body.count;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_USER_MESSAGES) {
      throw new AdminError(400, `count must be an integer from 1 to ${MAX_USER_MESSAGES}`);
    }
    const prefix = optionalText(body, 'content') ?? 'message';
    const openid = userOf(mp, openidInput(body) ?? runtimeOf(mp).users[0]);
    const msgIds: number[] = [];
    for (let i = 1; i <= (count as number); i++) {
      const { message } = push(ctx, mp, openid, 'text', { content: `${prefix} ${i}/${count as number}` });
      if (message.msgId !== undefined) msgIds.push(message.msgId);
    }
    return { appid: mp.appid, openid, count, msgIds };
  },
};
