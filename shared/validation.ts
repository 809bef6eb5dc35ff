import type { z } from 'zod';
import { InvalidInput } from './errors';

/** Parses `value` with `schema`, or throws InvalidInput naming the first offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'body';
  throw new InvalidInput('validation_failed', `${where}: ${issue.message}`);
}
