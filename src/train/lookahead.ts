// Overlaps making the next batch with the engine's step on the current one: items of an async iterable
// are handed out one ahead, the next one requested on a later turn of the event loop (setImmediate), i.e.
// after the consumer has started its asynchronous step. The native engine computes off the JS thread, so
// generating or slicing the next batch meanwhile is free; with a JS engine it costs nothing either.

/** `source`, with item k+1 produced while the consumer works on item k. */
export async function* lookahead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const later = (): Promise<IteratorResult<T>> => {
    const p = new Promise<IteratorResult<T>>((resolve, reject) => setImmediate(() => it.next().then(resolve, reject)));
    p.catch(() => undefined); // surfaced when awaited below; never an unhandled rejection if the consumer stops first
    return p;
  };
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = later();
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
