/** Runs `work` over `items` (any async iterable, consumed lazily) with at most `limit` in flight. */
export async function forEachConcurrently<T>(items: AsyncIterable<T> | Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()) as AsyncIterator<T> | Iterator<T>;
  // Workers pull from one shared iterator; a pull never overlaps another (one pending `next` at a time).
  let pulling: Promise<unknown> = Promise.resolve();
  const next = () => {
    const result = pulling.then(() => iterator.next());
    pulling = result.catch(() => undefined);
    return result;
  };
  const worker = async () => {
    for (;;) {
      const { done, value } = await next();
      if (done) return;
      await work(value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/**
 * Runs independent jobs of one scheduled run to the end whatever becomes of the others, then
 * fails with the first failure (so the run is seen to fail), or answers every result.
 */
export async function runAllThenThrow<T extends readonly unknown[]>(jobs: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
