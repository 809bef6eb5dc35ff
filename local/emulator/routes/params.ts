/**
 * Reading request fields the way WeChat validates them: a missing or mistyped field is an
 * errcode with a hint naming the field.
 */
import { ApiFailure } from '../errors';
import type { PlatformCredentials } from '../fixtures';

export function optionalString(body: Record<string, unknown>, name: string, errcode = 47001): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ApiFailure(errcode, `${name} must be a string`);
  return value;
}

export function requiredString(body: Record<string, unknown>, name: string, errcode = 47001): string {
  const value = optionalString(body, name, errcode);
  if (value === undefined || value === '') throw new ApiFailure(errcode, `${name} missing`);
  return value;
}

/** Integers may arrive as JSON numbers or numeric strings; WeChat accepts both. */
export function optionalInteger(body: Record<string, unknown>, name: string, errcode = 47001): number | undefined {
  const value = body[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw new ApiFailure(errcode, `${name} must be an integer`);
  return number;
}

export function requiredInteger(body: Record<string, unknown>, name: string, errcode = 47001): number {
  const value = optionalInteger(body, name, errcode);
  if (value === undefined) throw new ApiFailure(errcode, `${name} missing`);
  return value;
}

/** Component APIs name the platform in the body: missing → 41002, someone else's → 40013. */
export function checkComponentAppid(body: Record<string, unknown>, platform: PlatformCredentials): void {
  const appid = body.component_appid;
  if (appid === undefined || appid === null || appid === '') throw new ApiFailure(41002, 'component_appid missing');
  if (appid !== platform.componentAppid) throw new ApiFailure(40013, 'component_appid');
}

export function queryInteger(query: URLSearchParams, name: string, errcode = 40097): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw new ApiFailure(errcode, `${name} must be an integer`);
  return Number(raw);
}
