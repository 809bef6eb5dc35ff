/**
 * Builds an UpdateExpression from plain values: `set` attributes (undefined ones are skipped),
 * `remove` attributes, each behind a generated placeholder so any attribute name is safe. Its
 * placeholders (`#u…`, `:u…`, `#r…`) never collide with a condition's own.
 */
export interface UpdateParts {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export function updateExpression(set: Record<string, unknown>, remove: readonly string[] = []): UpdateParts {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(set)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], i) => {
      names[`#u${i}`] = name;
      values[`:u${i}`] = value;
      return `#u${i} = :u${i}`;
    });
  const removes = remove.map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  const clauses = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean);
  if (!clauses.length) throw new Error('updateExpression: nothing to set or remove');
  return {
    UpdateExpression: clauses.join(' '),
    ExpressionAttributeNames: names,
    ...(sets.length ? { ExpressionAttributeValues: values } : {}),
  };
}
