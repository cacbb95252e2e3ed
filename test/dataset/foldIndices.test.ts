// Tests of --max-ind-range folding over a BatchSource: indices become index % M, tables min(count, M),
// small tables and everything else untouched.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { randomSource } from '../../src/dataset/randomSource';
import type { Batch } from '../../src/dataset/batch';
import { foldIndices } from '../../src/dataset/foldIndices';

async function first(source: { batches(b: number): AsyncIterable<Batch> }, b: number): Promise<Batch> {
  for await (const batch of source.batches(b)) return batch;
  throw new Error('no batch');
}

test('indices of tables larger than M are folded modulo M; other tables and fields are unchanged', async () => {
  const src = randomSource({
    numDense: 2,
    tableSizes: [1000, 7, 50],
    rows: 64,
    seed: 3,
    numIndicesPerLookup: 4,
    numIndicesPerLookupFixed: false,
  });
  const folded = foldIndices(src, 40);
  assert.deepEqual(folded.tableSizes, [40, 7, 40]);
  assert.equal(folded.rows, 64);
  const a = await first(src, 64),
    b = await first(folded, 64);
  assert.deepEqual(b.dense, a.dense);
  assert.deepEqual(b.labels, a.labels);
  assert.deepEqual(b.sparse[1], a.sparse[1]);
  for (const t of [0, 2]) {
    assert.deepEqual(b.sparse[t].offsets, a.sparse[t].offsets);
    assert.deepEqual(
      Array.from(b.sparse[t].indices),
      Array.from(a.sparse[t].indices, (i) => i % 40),
    );
  }
  assert.ok(Array.from(a.sparse[0].indices).some((i) => i >= 40)); // the fold did something
});

test('M = 0 or M above every table returns the source itself', () => {
  const src = randomSource({
    numDense: 1,
    tableSizes: [10],
    rows: 8,
    seed: 1,
    numIndicesPerLookup: 1,
    numIndicesPerLookupFixed: true,
  });
  assert.equal(foldIndices(src, 0), src);
  assert.equal(foldIndices(src, 10), src);
});
