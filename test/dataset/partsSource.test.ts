// Tests of training and evaluation from a parts folder (src/dataset/partsSource.ts) on a generated
// Terabyte-shaped set (4 days: 3 training days + the test/val day) preprocessed with --no-merged-file:
// the bucket plan covers every training row once and mixes days (total) or keeps them (day, none); the
// train stream holds exactly the training rows of the merged file of the same data, in the documented
// order, starting anywhere gives the tail of the stream (exact resume), test/val are the last day's
// halves as in the merged file; and a training run stopped mid-epoch, past a day boundary and in the
// middle of a bucket, resumes to the same bits as an uninterrupted run.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { generateDayFiles } from '../../src/criteo/generatorText';
import { runPreprocess, type PreprocessConfig } from '../../src/preprocess/pipeline';
import type { Batch } from '../../src/dataset/batch';
import type { BatchSource } from '../../src/dataset/source';
import { openProcessedSplit } from '../../src/dataset/loader';
import { openDatasetSplit, planBuckets, PartsTrainSource, readPartsManifest } from '../../src/dataset/partsSource';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining, type TrainResult } from '../../src/train/train';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { modelFloats } from '../helpers/modelFloats';
import { dlrm } from '../schema/fixtures';

const dir = tempDir('parts');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ROWS_PER_DAY = 3000;
const prefix = path.join(dir, 'day');
const partsDir = path.join(dir, 'parts.dlrm.parts');
const dayParts = path.join(dir, 'byday.dlrm.parts');
const merged = path.join(dir, 'merged.dlrm');
/** 64 KiB: buckets of 64 KiB / 2 / 164 bytes = 199 rows, chunks of 13 rows. */
const SMALL_MEMORY = 64 * 1024;

function config(out: string, extra: Partial<PreprocessConfig> = {}): PreprocessConfig {
  return {
    rawDataFile: prefix,
    processedDataFile: out,
    dataSet: 'terabyte',
    maxIndRange: 10_000_000,
    dataSubSampleRate: 0,
    dataRandomize: 'total',
    minFrequency: 0,
    seed: 9,
    skipInvalidLines: false,
    resume: false,
    workers: 2,
    ...extra,
  };
}

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  await generateDayFiles({
    profile: loadProfile('terabyte'),
    prefix,
    days: 4,
    rowsPerDay: ROWS_PER_DAY,
    seed: 2,
    withLabel: true,
  });
  await runPreprocess(config(path.join(dir, 'parts.dlrm'), { mergedFile: false }));
  await runPreprocess(config(path.join(dir, 'byday.dlrm'), { mergedFile: false, dataRandomize: 'day' }));
  await runPreprocess(config(merged));
});

/** One string per row: label, dense bits, one index per table. */
function rowKeys(b: Batch): string[] {
  const D = b.numDense;
  return Array.from({ length: b.size }, (_, r) =>
    [b.labels[r], ...b.dense.subarray(r * D, (r + 1) * D), ...b.sparse.map((s) => s.indices[s.offsets[r]])].join(','),
  );
}

async function allKeys(source: BatchSource, batchSize: number, startRow = 0): Promise<string[]> {
  const out: string[] = [];
  for await (const b of source.batches(batchSize, startRow)) out.push(...rowKeys(b));
  return out;
}

/** The rows of each shard of the parts folder, in file order. */
function shardKeys(folder: string): string[][] {
  return readPartsManifest(folder).days.map((d) => {
    const r = ProcessedFileReader.open(path.join(folder, d.shard));
    try {
      return rowKeys(r.read(0, r.rows));
    } finally {
      r.close();
    }
  });
}

test('--no-merged-file leaves the shards, vocabularies and a manifest with no merged file', () => {
  assert.ok(!fs.existsSync(path.join(dir, 'parts.dlrm')));
  assert.deepEqual(fs.readdirSync(partsDir).sort(), [
    'day_0.dlrm',
    'day_1.dlrm',
    'day_2.dlrm',
    'day_3.dlrm',
    'manifest.json',
    'vocab',
  ]);
  const m = readPartsManifest(partsDir);
  assert.equal(m.mergedFile, '');
  assert.deepEqual(
    m.days.map((d) => d.rows),
    [ROWS_PER_DAY, ROWS_PER_DAY, ROWS_PER_DAY, ROWS_PER_DAY],
  );
  assert.ok(m.tables.every((t) => t.count <= 10_000_000));
});

test('planBuckets: every row in exactly one chunk; total mixes days in buckets under the cap; day and none keep days in order', () => {
  const days = [1000, 700, 1300];
  const covered = (plan: ReturnType<typeof planBuckets>): string => {
    const seen = days.map((n) => new Uint8Array(n));
    for (const b of plan) {
      assert.equal(
        b.rows,
        b.chunks.reduce((s, c) => s + c.end - c.start, 0),
      );
      for (const c of b.chunks) for (let r = c.start; r < c.end; r++) seen[c.day][r]++;
    }
    return seen.map((s) => s.every((x) => x === 1)).join();
  };
  const total = planBuckets(days, 50, 400, 'total', 1);
  assert.equal(covered(total), 'true,true,true');
  assert.ok(total.every((b) => b.rows <= 400 && b.permute));
  assert.ok(
    total.filter((b) => new Set(b.chunks.map((c) => c.day)).size > 1).length > total.length / 2,
    'most buckets hold chunks of several days',
  );
  assert.notDeepEqual(total, planBuckets(days, 50, 400, 'total', 2), 'another seed, another plan');
  const day = planBuckets(days, 50, 400, 'day', 1);
  assert.equal(covered(day), 'true,true,true');
  assert.ok(day.every((b) => new Set(b.chunks.map((c) => c.day)).size === 1 && b.rows <= 400));
  assert.deepEqual(
    day.map((b) => b.chunks[0].day),
    [...day.map((b) => b.chunks[0].day)].sort(),
  );
  const none = planBuckets(days, 50, 400, 'none', 1);
  assert.deepEqual(
    none.flatMap((b) => b.chunks).map((c) => `${c.day}:${c.start}`),
    days.flatMap((n, d) => Array.from({ length: Math.ceil(n / 50) }, (_, i) => `${d}:${i * 50}`)),
  );
  assert.ok(none.every((b) => !b.permute));
  // a cap above a day: total buckets are one training day's rows on average (the reference's buckets)
  assert.ok(planBuckets(days, 50, 1e9, 'total', 1).every((b) => b.rows <= 1000));
});

test("total: the train stream holds exactly the training rows (the merged file's too), shuffled across days, the same every time", async () => {
  const source = openDatasetSplit(partsDir, 'train', { shuffleMemoryBytes: SMALL_MEMORY });
  try {
    assert.ok(source instanceof PartsTrainSource);
    assert.ok(source.buckets.length > 20, `${source.buckets.length} buckets`);
    const keys = await allKeys(source, 128);
    const shards = shardKeys(partsDir);
    const train = shards.slice(0, 3).flat();
    assert.equal(keys.length, 3 * ROWS_PER_DAY);
    assert.deepEqual([...keys].sort(), [...train].sort());
    const m = openProcessedSplit(merged, 'train');
    try {
      assert.deepEqual(
        [...keys].sort(),
        (await allKeys(m, 1000)).sort(),
        'the merged file holds the same training rows',
      );
    } finally {
      m.close();
    }
    // the first day's worth of the stream draws from every training day
    const dayOf = new Map(train.map((k, i) => [k, Math.floor(i / ROWS_PER_DAY)]));
    assert.deepEqual(new Set(keys.slice(0, ROWS_PER_DAY).map((k) => dayOf.get(k))), new Set([0, 1, 2]));
    assert.notDeepEqual(keys.slice(0, 200), train.slice(0, 200));
    assert.deepEqual(await allKeys(source, 128), keys, 'the same order on the next epoch');
  } finally {
    source.close();
  }
});

test("day: each training day's rows stay together, in day order, shuffled within the day", async () => {
  const source = openDatasetSplit(dayParts, 'train', { shuffleMemoryBytes: 1 << 30 });
  try {
    const keys = await allKeys(source, 100);
    const shards = shardKeys(dayParts);
    for (let d = 0; d < 3; d++) {
      const part = keys.slice(d * ROWS_PER_DAY, (d + 1) * ROWS_PER_DAY);
      assert.deepEqual([...part].sort(), [...shards[d]].sort(), `day ${d}`);
      assert.notDeepEqual(part.slice(0, 100), shards[d].slice(0, 100));
    }
  } finally {
    source.close();
  }
});

test('starting at any row gives the tail of the stream (in a bucket, at a bucket edge, in a straddling batch)', async () => {
  const source = openDatasetSplit(partsDir, 'train', { shuffleMemoryBytes: SMALL_MEMORY }) as PartsTrainSource;
  try {
    const all = await allKeys(source, 64);
    const edge = source.buckets[0].rows + source.buckets[1].rows;
    for (const start of [1, 64 * 50, edge, edge - 10, 3 * ROWS_PER_DAY - 5, 3 * ROWS_PER_DAY]) {
      assert.deepEqual(await allKeys(source, 64, start), all.slice(start), `from row ${start}`);
    }
    const sizes: number[] = [];
    for await (const b of source.batches(64, 0)) sizes.push(b.size);
    assert.ok(
      sizes.slice(0, -1).every((n) => n === 64),
      'batches straddle buckets: all full but the last',
    );
  } finally {
    source.close();
  }
});

test("test and val splits are the last day's halves in file order, the same rows as the merged file's", async () => {
  const shards = shardKeys(partsDir);
  for (const split of ['test', 'val'] as const) {
    const p = openDatasetSplit(partsDir, split);
    const m = openProcessedSplit(merged, split);
    try {
      const keys = await allKeys(p, 500);
      assert.deepEqual(
        keys,
        split === 'test' ? shards[3].slice(0, ROWS_PER_DAY / 2) : shards[3].slice(ROWS_PER_DAY / 2),
      );
      assert.deepEqual(keys, await allKeys(m, 500));
    } finally {
      p.close();
      m.close();
    }
  }
});

test('a folder without manifest.json is a UserError naming it', () => {
  const empty = path.join(dir, 'empty.parts');
  fs.mkdirSync(empty);
  assert.throws(
    () => openDatasetSplit(empty, 'train'),
    (e: unknown) => e instanceof UserError && e.message.includes(`${empty}: is a folder without manifest.json`),
  );
});

function bits(r: TrainResult): Uint32Array {
  return new Uint32Array(modelFloats(r.model.params, r.model.optimizerState).buffer);
}

test('exact resume from the parts folder: stopped past a day boundary mid-bucket, then resumed == uninterrupted, bitwise', async () => {
  const B = 128;
  const source = openDatasetSplit(partsDir, 'train', { shuffleMemoryBytes: 1 << 20 }) as PartsTrainSource;
  const bucketStarts = source.buckets.reduce<number[]>((acc, b) => [...acc, acc[acc.length - 1] + b.rows], [0]);
  source.close();
  // a step past the first training day's worth of rows whose next batch starts inside a bucket
  let stopAtStep = Math.ceil(ROWS_PER_DAY / B) + 1;
  while (bucketStarts.includes(stopAtStep * B)) stopAtStep++;
  const base: Partial<TrainConfig> = {
    dataGeneration: 'dataset',
    processedDataFile: partsDir,
    shuffleMemoryMb: 1,
    archMlpBot: [13, 8, 4],
    archMlpTop: [8, 1],
    lossFunction: 'bce',
    optimizer: 'adagrad',
    learningRate: 0.05,
    miniBatchSize: B,
    nepochs: 2,
    printFreq: 1000,
    testMiniBatchSize: 1000,
  };
  const c = (over: Partial<TrainConfig>): TrainConfig => resolveTrainConfig({ ...base, ...over });
  // 1 MiB: 3197-row buckets (one day's worth in total mode), so the stop falls in the second bucket
  const whole = await runTraining(c({ saveModel: path.join(dir, 'whole.ckpt') }));
  const file = path.join(dir, 'part.ckpt');
  const first = await runTraining(c({ saveModel: file }), { shouldStop: (p) => p.globalStep === stopAtStep });
  assert.equal(first.stopped, true);
  assert.equal(readCheckpointHeader(file).progress.rowInEpoch, stopAtStep * B);
  assert.ok(stopAtStep * B > ROWS_PER_DAY);
  const rest = await runTraining(c({ saveModel: file, loadModel: file }));
  assert.equal(rest.globalStep, whole.globalStep);
  const a = bits(rest);
  const b = bits(whole);
  assert.equal(a.length, b.length);
  assert.ok(
    a.every((v, i) => v === b[i]),
    'parameters and optimizer state differ',
  );
  assert.equal(rest.metrics?.auc, whole.metrics?.auc);
});

test('a model trained from the parts folder: dlrm eval on the parts folder equals eval on the merged file; dlrm predict finds its vocabularies', () => {
  const model = path.join(dir, 'whole.ckpt');
  const onParts = dlrm('eval', '--processed-data-file', partsDir, '--load-model', model, '--split', 'val');
  const onMerged = dlrm('eval', '--processed-data-file', merged, '--load-model', model, '--split', 'val');
  assert.equal(onParts.status, 0, onParts.stderr);
  assert.equal(onMerged.status, 0, onMerged.stderr);
  const metrics = (out: string): string[] =>
    out
      .split('\n')
      .filter((l) =>
        /^\s+(rows|positive rate|accuracy|ROC AUC|logloss|normalized entropy|calibration|average precision)\s/.test(l),
      );
  assert.equal(metrics(onParts.stdout).length, 8, onParts.stdout);
  assert.deepEqual(metrics(onParts.stdout), metrics(onMerged.stdout));
  const preds = path.join(dir, 'preds.csv');
  const p = dlrm('predict', '--load-model', model, '--input', `${prefix}_3`, '--output', preds);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(
    fs.readFileSync(preds, 'utf8').trim().split('\n').length,
    ROWS_PER_DAY + 1,
    'a header and one line per row',
  );
});
