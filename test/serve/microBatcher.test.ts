// The micro-batcher (src/serve/microBatcher.ts) with a fake scorer that records every engine call: groups
// never mix models, respect maxRows, keep submission order, gather while the engine is busy, and a failing
// call rejects only its own requests.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Batch } from '../../src/dataset/batch';
import { concatBatches } from '../../src/dataset/batchRows';
import { MicroBatcher } from '../../src/serve/microBatcher';

/** The encoder of the tests: items are batches already; a row id < 0 is a bad row. */
function concat(_model: string, items: readonly Batch[]): Batch {
  for (const b of items)
    if (b.dense.some((id) => id < 0)) throw new Error(`bad row in ${Array.from(b.dense).join(',')}`);
  return concatBatches(items);
}

/** A batch of `n` rows whose one dense value is the row's id (so scores can say which rows they came from). */
function rows(ids: number[]): Batch {
  return {
    size: ids.length,
    numDense: 1,
    dense: Float32Array.from(ids),
    labels: new Float32Array(ids.length),
    sparse: [
      { offsets: Uint32Array.from({ length: ids.length + 1 }, (_, i) => i), indices: new Uint32Array(ids.length) },
    ],
  };
}

interface Call {
  model: string;
  ids: number[];
}

/** A scorer that answers id + (model === 'B' ? 1000 : 0) per row after `ms`, recording each call. */
function fakeScorer(calls: Call[], ms: number, fail?: (c: Call) => boolean) {
  let inFlight = 0;
  return async (model: string, batch: Batch): Promise<Float32Array> => {
    assert.equal(inFlight, 0, 'one engine call at a time');
    inFlight++;
    const call = { model, ids: Array.from(batch.dense) };
    calls.push(call);
    await new Promise((r) => setTimeout(r, ms));
    inFlight--;
    if (fail?.(call)) throw new Error('engine failed');
    return Float32Array.from(call.ids, (id) => id + (model === 'B' ? 1000 : 0));
  };
}

test('concurrent requests share one engine call; each gets its own rows back in order', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>({ maxDelayMs: 20, maxRows: 100 }, fakeScorer(calls, 1), concat);
  const results = await Promise.all([
    b.submit('A', rows([1, 2])),
    b.submit('A', rows([3])),
    b.submit('A', rows([4, 5, 6])),
  ]);
  assert.deepEqual(calls, [{ model: 'A', ids: [1, 2, 3, 4, 5, 6] }]);
  assert.deepEqual(
    results.map((r) => Array.from(r)),
    [[1, 2], [3], [4, 5, 6]],
  );
});

test('a group never holds two models: a request for another model closes the group', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>({ maxDelayMs: 20, maxRows: 100 }, fakeScorer(calls, 1), concat);
  const results = await Promise.all([
    b.submit('A', rows([1])),
    b.submit('A', rows([2])),
    b.submit('B', rows([3])),
    b.submit('A', rows([4])),
  ]);
  assert.deepEqual(calls, [
    { model: 'A', ids: [1, 2] },
    { model: 'B', ids: [3] },
    { model: 'A', ids: [4] },
  ]);
  assert.deepEqual(
    results.map((r) => Array.from(r)),
    [[1], [2], [1003], [4]],
  );
});

test('maxRows sends a group at once and bounds it; requests arriving while the engine is busy form the next group', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>({ maxDelayMs: 1000, maxRows: 4 }, fakeScorer(calls, 30), concat);
  const started = performance.now();
  const results = await Promise.all([
    b.submit('A', rows([1, 2])),
    b.submit('A', rows([3, 4])),
    b.submit('A', rows([5])),
    b.submit('A', rows([6, 7, 8])),
    b.submit('A', rows([9])),
  ]);
  // the first group is full at once; the rest queue behind the busy engine and go as soon as it is free
  assert.deepEqual(calls, [
    { model: 'A', ids: [1, 2, 3, 4] },
    { model: 'A', ids: [5, 6, 7, 8] },
    { model: 'A', ids: [9] },
  ]);
  assert.deepEqual(
    results.map((r) => Array.from(r)),
    [[1, 2], [3, 4], [5], [6, 7, 8], [9]],
  );
  assert.ok(performance.now() - started < 900, 'no group waited for maxDelayMs');
});

test('a failing engine call rejects only its own requests; later groups are scored', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>(
    { maxDelayMs: 5, maxRows: 2 },
    fakeScorer(calls, 1, (c) => c.ids.includes(1)),
    concat,
  );
  const r = await Promise.allSettled([b.submit('A', rows([1])), b.submit('A', rows([2])), b.submit('A', rows([3]))]);
  assert.deepEqual(
    r.map((x) => x.status),
    ['rejected', 'rejected', 'fulfilled'],
  );
  assert.deepEqual(Array.from((r[2] as PromiseFulfilledResult<Float32Array>).value), [3]);
});

test('maxDelayMs 0: the requests of one turn of the event loop share a call', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>({ maxDelayMs: 0, maxRows: 100 }, fakeScorer(calls, 1), concat);
  const first = [b.submit('A', rows([1])), b.submit('A', rows([2]))];
  await Promise.all(first);
  await b.submit('A', rows([3]));
  assert.deepEqual(calls, [
    { model: 'A', ids: [1, 2] },
    { model: 'A', ids: [3] },
  ]);
});

test('a request with a bad row fails alone; the others of its group are scored together in one call', async () => {
  const calls: Call[] = [];
  const b = new MicroBatcher<string, Batch>({ maxDelayMs: 5, maxRows: 100 }, fakeScorer(calls, 1), concat);
  const r = await Promise.allSettled([
    b.submit('A', rows([1])),
    b.submit('A', rows([2, -1])),
    b.submit('A', rows([3])),
  ]);
  assert.deepEqual(
    r.map((x) => x.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.match(String((r[1] as PromiseRejectedResult).reason), /bad row in 2,-1/);
  assert.deepEqual(Array.from((r[0] as PromiseFulfilledResult<Float32Array>).value), [1]);
  assert.deepEqual(Array.from((r[2] as PromiseFulfilledResult<Float32Array>).value), [3]);
  assert.deepEqual(calls, [{ model: 'A', ids: [1, 3] }]);
});
