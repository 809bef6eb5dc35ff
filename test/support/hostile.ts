/**
 * Builders for hostile-input suites: route-table helpers, the request variants an attacker would
 * try, and the assertions every refusal must pass (a clear 4xx, and the table left exactly as it was).
 */
import { expect } from 'vitest';
import type { Route } from '../../infra/routes';
import type { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush, type SealedPush } from '../../shared/wechat/envelope';
import type { TestStack } from './stack';

export type Item = Record<string, unknown>;

export const routeKey = (route: Pick<Route, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** The `{name}` parameters of an API Gateway path, in order. */
export const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);

/** Fills every `{name}` from `values` (used as given: encode first what must be encoded). */
export function fillPath(path: string, values: Record<string, string | undefined>): string {
  return path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter {${name}} of ${path}`);
    return value;
  });
}

/** base64url(JSON) — the shape of the list routes' nextToken, for forging one. */
export const pageToken = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

/** A JSON body of about `bytes` bytes that is otherwise harmless. */
export const hugeJson = (bytes: number) => JSON.stringify({ padding: 'x'.repeat(bytes) });

/** Markup a page must never echo back raw; each is distinct, to find which one leaked. */
export const XSS_PAYLOADS = ['<script>alert("mpfleet")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert('mpfleet')//<svg/onload=alert(1)>"];

/** Asserts `html` contains none of the payloads' active markup. */
export function expectNoRawMarkup(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img src=x/i);
  expect(html).not.toMatch(/<svg\/onload/i); // the pages' own icons are <svg viewBox=…>
  expect(html).not.toMatch(/onerror=alert|onload=alert/i);
}

/** Reads `{error:{code,message}}`, asserting it is there with a non-empty code and message. */
export async function expectJsonError(response: Response, status: number, code?: string): Promise<{ code: string; message: string }> {
  const text = await response.text();
  expect(response.status, text.slice(0, 300)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  expect(body.error?.code).toBeTypeOf('string');
  expect(body.error?.message).toBeTypeOf('string');
  const error = body.error as { code: string; message: string };
  expect(error.code.length).toBeGreaterThan(0);
  expect(error.message.length).toBeGreaterThan(0);
  if (code) expect(error.code).toBe(code);
  return error;
}

/** API Gateway's own answer when no route matches (not a function response): `{message}`. */
export async function expectGatewayRefusal(response: Response, status = 404): Promise<void> {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ message: expect.any(String) });
}

/** Items added or changed between two snapshots (compared by pk/sk). */
export function changedItems(before: Item[], after: Item[]): Item[] {
  const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;
  const old = new Map(before.map((item) => [keyOf(item), JSON.stringify(item)]));
  return after.filter((item) => old.get(keyOf(item)) !== JSON.stringify(item));
}

/** Items present before and gone after. */
export function removedItems(before: Item[], after: Item[]): Item[] {
  const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;
  const now = new Set(after.map(keyOf));
  return before.filter((item) => !now.has(keyOf(item)));
}

/**
 * Sends `request` between two snapshots and hands both back with the response, so a case can
 * assert the table did not change (or changed by exactly the documented record).
 */
export async function around(t: TestStack, request: () => Promise<Response>): Promise<{ response: Response; before: Item[]; after: () => Promise<Item[]> }> {
  const before = await t.snapshot();
  const response = await request();
  return { response, before, after: () => t.snapshot() };
}

/** Polls until two snapshots `quietMs` apart are equal: background work (pushes, queue) has settled. */
export async function settled(t: TestStack, quietMs = 250, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let previous = JSON.stringify(await t.snapshot());
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    const current = JSON.stringify(await t.snapshot());
    if (current === previous) return;
    if (Date.now() > deadline) throw new Error('the table kept changing');
    previous = current;
  }
}

/** POSTs a push sealed like WeChat's around hand-written inner XML, with optional query changes. */
export function postSealed(
  t: TestStack,
  route: string,
  crypto: MessageCrypto,
  outer: { AppId: string } | { ToUserName: string },
  innerXml: string,
  editQuery: (query: Record<string, string>) => Record<string, string> = (query) => query,
): Promise<Response> {
  const sealed: SealedPush = sealPush(crypto, { outer, innerXml });
  return replay(t, route, sealed, editQuery);
}

/** Sends an already sealed push again, byte for byte (WeChat's retry, or an attacker's replay). */
export function replay(
  t: TestStack,
  route: string,
  sealed: SealedPush,
  editQuery: (query: Record<string, string>) => Record<string, string> = (query) => query,
): Promise<Response> {
  const query = new URLSearchParams(editQuery({ ...sealed.query })).toString();
  return t.api(`${route}${query ? `?${query}` : ''}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: sealed.body });
}
