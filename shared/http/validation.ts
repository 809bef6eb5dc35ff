import type { z } from 'zod';
import { badRequest } from './errors';

/** Parses `value` with `schema`, or a 400 naming the first offending field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'body';
  throw badRequest('validation_failed', `${where}: ${issue.message}`);
}
