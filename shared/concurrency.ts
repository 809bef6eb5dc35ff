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
