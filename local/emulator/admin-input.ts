/** Reading /__admin request bodies: a bad one is a 400 (404 for an unknown appid) with `{error}`. */
import type { EmulatorContext } from './context';
import type { MiniProgram } from './state';

export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Body = Record<string, unknown>;

export function knownMiniProgram(ctx: EmulatorContext, body: Body): MiniProgram {
  const appid = body.appid;
  if (typeof appid !== 'string' || appid === '') throw new AdminError(400, 'appid is required');
  const mp = ctx.state.get(appid);
  if (mp === undefined) throw new AdminError(404, `unknown appid ${appid}`);
  return mp;
}

export function optionalText(body: Body, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new AdminError(400, `${key} must be a string`);
  return value;
}

/** An array of strings, or one comma-separated string (what a dashboard prompt gives). */
export function stringList(body: Body, key: string): string[] | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new AdminError(400, `${key} must be an array of strings`);
  return value.map((item) => item.trim()).filter((item) => item !== '');
}
