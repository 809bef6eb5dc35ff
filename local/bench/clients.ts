/**
 * What the benches say to a local stack: the emulator's admin API (set faults and outcomes, read
 * the call log), the operator API, and the seeded mini-programs' appids. One copy for every bench.
 */
import type { LocalStack } from '../stack';

export type Json = Record<string, unknown>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The emulator's `/__admin` API: GET without a body, POST with one, or the method given. */
export function emulatorAdmin(stack: LocalStack): (p: string, body?: unknown, method?: string) => Promise<Json> {
  const base = `${stack.emulator!.url}/__admin`;
  return async (p, body, method = body === undefined ? 'GET' : 'POST') =>
    (await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Json>;
}

/** The operator API, with the stack's operator token. */
export function operatorApi(stack: LocalStack): (p: string, init?: RequestInit) => Promise<Json> {
  return async (p, init) =>
    (await fetch(`${stack.url}${p}`, { ...init, headers: { authorization: `Bearer ${stack.operatorToken}`, 'content-type': 'application/json' } })).json() as Promise<Json>;
}

/** The appids of the mini-programs the emulator was seeded with, in order. */
export async function seededAppids(stack: LocalStack): Promise<string[]> {
  return ((await emulatorAdmin(stack)('/state')).miniPrograms as { appid: string }[]).map((m) => m.appid);
}

/**
 * When a deployment's last target changed, as mpfleet recorded it (the latest `updatedAt` over all
 * its targets, read page by page once it is done). A bench watches a deployment about as often as
 * an operator would, since every view counts all of its targets; the end it reports is this time,
 * not the moment a watch happened to see it.
 */
export async function lastTargetChangeMs(get: (path: string) => Promise<Json>, deploymentId: string): Promise<number> {
  let last = 0;
  let nextToken: string | undefined;
  do {
    const page = await get(`/api/deployments/${deploymentId}?limit=1000${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`);
    for (const target of page.targets as { updatedAt: string }[]) last = Math.max(last, Date.parse(target.updatedAt));
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  return last;
}
