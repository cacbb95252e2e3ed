// Overlaps reading the next batch with the engine's step on the current one: items of an async iterable
// are handed out one ahead, the next one requested as soon as the current one has arrived, before it is
// handed out. A source's synchronous work (slicing a batch out of a read-ahead chunk) thus runs between
// steps, while its asynchronous work (a chunk read in the libuv thread pool) overlaps the step. Requesting
// it later, on a turn of the event loop during the step (setImmediate), woke the JS thread mid-step: with the
// native engine computing on every core, that preempted a compute thread (the measurement: docs/NATIVE.md, History).

/** `source`, with item k+1 requested before item k is handed to the consumer. */
export async function* lookahead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      next.catch(() => undefined); // surfaced when awaited above; never an unhandled rejection if the consumer stops first
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
