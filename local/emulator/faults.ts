/**
 * Fault injection: rules that make matching API calls slow and/or fail with a chosen errcode,
 * for the next N calls or a random fraction of them. This is how a user rehearses WeChat being
 * busy (-1), a token going stale (40001), a privacy scan (61039) or a quota running out (85085).
 */
import { normalizePath } from './calls';

export interface FaultInput {
  path?: string;
  appid?: string;
  errcode?: number;
  errmsg?: string;
  latencyMs?: number;
  times?: number;
  fraction?: number;
}

export interface FaultRule extends FaultInput {
  id: string;
  /** How many calls the rule has been applied to. */
  hits: number;
  /** Calls still to be affected when `times` was given. */
  remaining?: number;
  createdAt: number;
}

/** What the matching rules do to one call. */
export interface FaultEffect {
  latencyMs: number;
  /** The first matching rule with an errcode answers the call. */
  error?: { errcode: number; errmsg?: string; ruleId: string };
  ruleIds: string[];
}

export class FaultInputError extends Error {
  override readonly name = 'FaultInputError';
}

const MAX_FAULT_LATENCY_MS = 120_000;
const ALLOWED_KEYS = new Set(['path', 'appid', 'errcode', 'errmsg', 'latencyMs', 'times', 'fraction']);

/** Validates an admin request body into a rule input; throws FaultInputError with a clear message. */
export function parseFaultInput(body: unknown): FaultInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FaultInputError('body must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((key) => !ALLOWED_KEYS.has(key));
  if (unknown.length > 0) throw new FaultInputError(`unknown field(s): ${unknown.join(', ')}`);

  const rule: FaultInput = {};
  if (input.path !== undefined) {
    if (typeof input.path !== 'string' || input.path.trim() === '') throw new FaultInputError('path must be a non-empty string');
    rule.path = normalizePath(input.path);
  }
  if (input.appid !== undefined) {
    if (typeof input.appid !== 'string' || input.appid === '') throw new FaultInputError('appid must be a non-empty string');
    rule.appid = input.appid;
  }
  if (input.errcode !== undefined) {
    if (!Number.isInteger(input.errcode) || input.errcode === 0) throw new FaultInputError('errcode must be a non-zero integer');
    rule.errcode = input.errcode as number;
  }
  if (input.errmsg !== undefined) {
    if (typeof input.errmsg !== 'string') throw new FaultInputError('errmsg must be a string');
    if (rule.errcode === undefined) throw new FaultInputError('errmsg needs an errcode');
    rule.errmsg = input.errmsg;
  }
  if (input.latencyMs !== undefined) {
    const latency = input.latencyMs;
    if (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0 || latency > MAX_FAULT_LATENCY_MS) {
      throw new FaultInputError(`latencyMs must be a number from 0 to ${MAX_FAULT_LATENCY_MS}`);
    }
    rule.latencyMs = latency;
  }
  if (input.times !== undefined) {
    if (!Number.isInteger(input.times) || (input.times as number) < 1) throw new FaultInputError('times must be a positive integer');
    rule.times = input.times as number;
  }
  if (input.fraction !== undefined) {
    const fraction = input.fraction;
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
      throw new FaultInputError('fraction must be a number in (0, 1]');
    }
    rule.fraction = fraction;
  }
  if (rule.errcode === undefined && rule.latencyMs === undefined) {
    throw new FaultInputError('a fault needs an errcode and/or a latencyMs');
  }
  return rule;
}

export class FaultBook {
  private readonly rules: FaultRule[] = [];
  private nextId = 1;

  constructor(
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  add(input: FaultInput): FaultRule {
    const rule: FaultRule = { ...input, id: `fault-${this.nextId++}`, hits: 0, createdAt: this.now() };
    if (input.times !== undefined) rule.remaining = input.times;
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  remove(id: string): boolean {
    const index = this.rules.findIndex((rule) => rule.id === id);
    if (index === -1) return false;
    this.rules.splice(index, 1);
    return true;
  }

  clear(): number {
    const count = this.rules.length;
    this.rules.length = 0;
    return count;
  }

  get size(): number {
    return this.rules.length;
  }

  /** Applies every matching rule to one call (consuming `times`) and says what to do. */
  apply(path: string, appid: string | undefined): FaultEffect {
    const effect: FaultEffect = { latencyMs: 0, ruleIds: [] };
    if (this.rules.length === 0) return effect;
    for (const rule of [...this.rules]) {
      if (rule.path !== undefined && rule.path !== path) continue;
      if (rule.appid !== undefined && rule.appid !== appid) continue;
      if (rule.fraction !== undefined && this.random() >= rule.fraction) continue;
      rule.hits++;
      effect.ruleIds.push(rule.id);
      effect.latencyMs += rule.latencyMs ?? 0;
      if (rule.errcode !== undefined && effect.error === undefined) {
        effect.error = { errcode: rule.errcode, ruleId: rule.id, ...(rule.errmsg === undefined ? {} : { errmsg: rule.errmsg }) };
      }
      if (rule.remaining !== undefined && --rule.remaining <= 0) this.remove(rule.id);
    }
    return effect;
  }
}
