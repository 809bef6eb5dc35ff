import type { z } from 'zod';
import { parseInput } from '../validation';

/**
 * Parses `value` with `schema`, or a 400 `validation_failed` naming the first offending field: the
 * edge's name for {@link parseInput}, whose InvalidInput the error mapping turns into the 400.
 */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  return parseInput(schema, value);
}
