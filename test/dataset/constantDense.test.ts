// Tests of withConstantDense (src/dataset/constantDense.ts): a source without dense features gains one
// dense input equal to 1 per row (numDense 1, dense = ones [B, 1]) with its labels, bags, table sizes,
// row count and start row untouched; a source with dense features is returned as it is.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateBatch, type Batch } from '../../src/dataset/batch';
import type { BatchSource } from '../../src/dataset/source';
import { hasConstantDenseInput, withConstantDense } from '../../src/dataset/constantDense';

/** A source of `rows` rows with D dense values (row r's value k is r + k / 10), one table of 5 rows, bag of row r = [r % 5] repeated r % 3 times. */
function tinySource(rows: number, D: number): BatchSource & { starts: number[] } {
  const starts: number[] = [];
  return {
    starts,
    numDense: D,
    tableSizes: [5],
    rows,
    async *batches(batchSize: number, startRow = 0): AsyncGenerator<Batch> {
      starts.push(startRow);
      for (let r0 = startRow; r0 < rows; r0 += batchSize) {
        const B = Math.min(batchSize, rows - r0);
        const dense = new Float32Array(B * D).map((_, i) => r0 + Math.floor(i / D) + (i % D) / 10);
        const bags = Array.from({ length: B }, (_, b) => new Array<number>((r0 + b) % 3).fill((r0 + b) % 5));
        const offsets = new Uint32Array(B + 1);
        bags.forEach((bag, b) => (offsets[b + 1] = offsets[b] + bag.length));
        yield {
          size: B,
          numDense: D,
          dense,
          labels: new Float32Array(B).map((_, b) => (r0 + b) % 2),
          sparse: [{ offsets, indices: Uint32Array.from(bags.flat()) }],
        };
      }
    },
  };
}

async function collect(source: BatchSource, batchSize: number, startRow?: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of source.batches(batchSize, startRow)) out.push(b);
  return out;
}

test('no dense features: one constant input 1 per row, everything else unchanged', async () => {
  const inner = tinySource(11, 0);
  const wrapped = withConstantDense(inner);
  assert.notEqual(wrapped, inner);
  assert.ok(hasConstantDenseInput(wrapped));
  assert.equal(wrapped.numDense, 1);
  assert.deepEqual(wrapped.tableSizes, [5]);
  assert.equal(wrapped.rows, 11);
  const got = await collect(wrapped, 4, 2);
  const want = await collect(inner, 4, 2);
  assert.deepEqual(inner.starts, [2, 2], 'the start row reaches the wrapped source');
  assert.deepEqual(
    got.map((b) => b.size),
    [4, 4, 1],
  );
  got.forEach((b, i) => {
    validateBatch(b, wrapped.tableSizes);
    assert.equal(b.numDense, 1);
    assert.deepEqual(Array.from(b.dense), new Array<number>(b.size).fill(1));
    assert.deepEqual(b.labels, want[i].labels);
    assert.deepEqual(b.sparse, want[i].sparse);
  });
});

test('sources with dense features pass through as they are', async () => {
  const inner = tinySource(6, 3);
  const wrapped = withConstantDense(inner);
  assert.equal(wrapped, inner);
  assert.equal(hasConstantDenseInput(wrapped), false);
  const [b] = await collect(wrapped, 6);
  assert.equal(b.numDense, 3);
  assert.equal(b.dense[3 * 2 + 1], Math.fround(2.1), 'row 2, dense value 1');
});
