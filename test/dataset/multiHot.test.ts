// Multi-hot synthetic data (--multi-hot-sizes, MLPerf DLRMv2's bag sizes): each table's bags hold exactly
// k_t indices in range, the first being the one-hot source's index of the same row; a category always
// expands to the same bag; the stream is deterministic per seed; training on it learns the planted
// signal; the flag takes TorchRec's comma list and is refused for other data or the wrong table count.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Batch } from '../../src/dataset/batch';
import { syntheticSource } from '../../src/dataset/syntheticSource';
import { parserFor, resolveTrainConfig, TRAIN_FLAGS } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { repoRoot } from '../helpers/sharedData';

const MLPERF_SIZES = [3, 2, 1, 2, 6, 1, 1, 1, 1, 7, 3, 8, 1, 6, 9, 5, 1, 1, 1, 12, 100, 27, 10, 3, 1, 1];
const TABLES = Array.from({ length: 26 }, (_, t) => 50 + 37 * t);

async function firstBatch(multiHotSizes: number[] | undefined, seed = 7): Promise<Batch> {
  for await (const b of syntheticSource({ tableSizes: TABLES, rows: 3000, seed, multiHotSizes }).batches(3000))
    return b;
  throw new Error('no batch');
}

test('multi-hot bags: k_t indices in range, the first = the one-hot index, the same category gives the same bag', async () => {
  const [multi, one] = [await firstBatch(MLPERF_SIZES), await firstBatch(undefined)];
  assert.deepEqual(multi.labels, one.labels, 'the same rows and labels');
  assert.deepEqual(multi.dense, one.dense);
  multi.sparse.forEach((bag, t) => {
    const k = MLPERF_SIZES[t];
    assert.equal(bag.offsets.length, multi.size + 1);
    const bags = new Map<number, string>();
    for (let r = 0; r < multi.size; r++) {
      assert.equal(bag.offsets[r + 1] - bag.offsets[r], k, `table ${t} row ${r}: bag size`);
      const items = Array.from(bag.indices.subarray(bag.offsets[r], bag.offsets[r + 1]));
      assert.ok(
        items.every((i) => i < TABLES[t]),
        `table ${t}: indices in range`,
      );
      assert.equal(items[0], one.sparse[t].indices[r], `table ${t} row ${r}: first index is the one-hot one`);
      const key = items.join(',');
      const seen = bags.get(items[0]);
      if (seen !== undefined) assert.equal(key, seen, `table ${t}: category ${items[0]} expands to one bag`);
      bags.set(items[0], key);
    }
  });
  // the extra indices are spread over the table, not copies of the first
  const big = multi.sparse[20];
  assert.ok(new Set(big.indices.subarray(0, 100)).size > 50, 'a 100-index bag holds many distinct rows');
  assert.deepEqual(await firstBatch(MLPERF_SIZES), multi, 'deterministic per seed');
  assert.notDeepEqual(
    (await firstBatch(MLPERF_SIZES, 8)).sparse[20].indices,
    multi.sparse[20].indices,
    'another seed, other bags',
  );
});

test('--multi-hot-sizes: comma or dash list; refused for other data, the wrong table count or a zero', () => {
  const spec = TRAIN_FLAGS.find((f) => f.flag === 'multi-hot-sizes');
  assert.ok(spec);
  const parse = parserFor(spec.type);
  assert.deepEqual(parse?.('3,2,1'), [3, 2, 1]);
  assert.deepEqual(parse?.('3-2-1'), [3, 2, 1]);
  assert.throws(() => parse?.('3,0,1'));
  const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);
  assert.throws(() => resolveTrainConfig({ multiHotSizes: MLPERF_SIZES }), refused(/applies to synthetic data only/));
  assert.throws(
    () => resolveTrainConfig({ dataGeneration: 'synthetic', multiHotSizes: [1, 2] }),
    refused(/2 sizes for 26 embedding tables/),
  );
});

test('training on multi-hot synthetic data (MLPerf sizes) learns the planted signal', async () => {
  setupLogger({ level: 'warn', pretty: false });
  const c = resolveTrainConfig(
    { dataSize: 32768, printFreq: 1000, multiHotSizes: MLPERF_SIZES },
    path.join(repoRoot(), 'configs', 'smoke.json'),
  );
  const r = await runTraining(c);
  assert.ok((r.metrics?.auc ?? 0) > 0.65, `AUC ${r.metrics?.auc}`);
});
