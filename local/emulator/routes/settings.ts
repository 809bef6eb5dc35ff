/**
 * Per-mini-program settings a deploy may touch (docs/wechat-protocol.md §4): server and web-view domains,
 * testers (体验者).
 */
import { createHash } from 'node:crypto';
import { ApiFailure, okBody } from '../errors';
import type { MiniProgram, ServerDomainLists } from '../state';
import { optionalString } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

const DOMAIN_SCHEMES: Record<keyof ServerDomainLists, string> = {
  requestdomain: 'https://',
  wsrequestdomain: 'wss://',
  uploaddomain: 'https://',
  downloaddomain: 'https://',
  udpdomain: 'udp://',
  tcpdomain: 'tcp://',
};
const DOMAIN_ACTIONS = new Set(['add', 'delete', 'set', 'get']);

function domainList(body: Record<string, unknown>, name: string, scheme: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ApiFailure(40097, `${name} must be an array of strings`);
  }
  for (const domain of value) {
    if (!domain.startsWith(scheme) || domain.length === scheme.length) throw new ApiFailure(40097, `${name}: ${domain} must start with ${scheme}`);
  }
  return value;
}

function applyAction(current: string[], action: string, given: string[] | undefined): string[] {
  if (given === undefined || action === 'get') return current;
  if (action === 'set') return [...new Set(given)];
  if (action === 'add') return [...new Set([...current, ...given])];
  return current.filter((domain) => !given.includes(domain)); // delete
}

function domainAction(body: Record<string, unknown>): string {
  const action = optionalString(body, 'action', 40097);
  if (action === undefined || !DOMAIN_ACTIONS.has(action)) throw new ApiFailure(40097, 'action must be add, delete, set or get');
  return action;
}

function userstrOf(mp: MiniProgram, wechatid: string): string {
  return createHash('sha1').update(`${mp.appid}:${wechatid}`).digest('hex');
}

export const settingsRoutes: ApiRoute[] = [
  {
    path: '/wxa/modify_domain',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      const action = domainAction(req.body);
      const updates = Object.entries(DOMAIN_SCHEMES).map(([name, scheme]) => [name, domainList(req.body, name, scheme)] as const);
      for (const [name, given] of updates) {
        const key = name as keyof ServerDomainLists;
        mp.domains[key] = applyAction(mp.domains[key], action, given);
      }
      return okBody({ ...mp.domains });
    },
  },
  {
    path: '/wxa/setwebviewdomain',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      // Without an action WeChat applies the platform's registered domains; the emulator has none.
      const action = req.body.action === undefined ? 'get' : domainAction(req.body);
      mp.webviewDomains = applyAction(mp.webviewDomains, action, domainList(req.body, 'webviewdomain', 'https://'));
      return okBody({ webviewdomain: mp.webviewDomains });
    },
  },
  {
    path: '/wxa/bind_tester',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      const wechatid = optionalString(req.body, 'wechatid', 85001);
      if (wechatid === undefined || wechatid.trim() === '') throw new ApiFailure(85001);
      if (mp.testers.has(wechatid)) throw new ApiFailure(85004);
      const userstr = userstrOf(mp, wechatid);
      mp.testers.set(wechatid, userstr);
      return okBody({ userstr });
    },
  },
  {
    path: '/wxa/unbind_tester',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      const wechatid = optionalString(req.body, 'wechatid', 40097);
      const userstr = optionalString(req.body, 'userstr', 40097);
      if (!wechatid && !userstr) throw new ApiFailure(40097, 'wechatid or userstr required');
      for (const [id, str] of mp.testers) if (id === wechatid || str === userstr) mp.testers.delete(id);
      return okBody();
    },
  },
  {
    path: '/wxa/memberauth',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const mp = callerOf(req);
      if (req.body.action !== 'get_experiencer') throw new ApiFailure(40097, 'action must be get_experiencer');
      return okBody({ members: [...mp.testers.values()].map((userstr) => ({ userstr })) });
    },
  },
];
