import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProcessedSplit } from '../../src/dataset/loader';
import { buildMergedFile, mergedSplits, type MergedFileOptions } from '../../src/dataset/mergedFile';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import { UserError } from '../../src/util/errors';
import { log } from '../../src/util/log';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { batchToRows, randomRows, writeRows, type Row } from './fixtures';

const dir = tempDir('merged');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const D = 2;
const T = 3;
const dayRows = [700, 500, 301];
// dense[0] carries a unique row id so orders can be checked exactly
let nextId = 0;
const days: Row[][] = dayRows.map((n, d) =>
  randomRows(new Rng(20 + d), n, D, T).map((r) => ({ ...r, dense: [nextId++, ...r.dense.slice(1)] })),
);
const dayFiles = days.map((rows, d) => {
  const p = path.join(dir, `day_${d}.bin`);
  writeRows(p, rows, D, T, 64, { day: d });
  return p;
});
const testRows = Math.ceil(301 / 2);
const trainInput = [...days[0], ...days[1]];

async function build(
  name: string,
  over: Partial<MergedFileOptions>,
): Promise<{ rows: Row[]; metadata: unknown; path: string }> {
  const outPath = path.join(dir, name);
  await buildMergedFile({
    dayFiles,
    trainDays: 2,
    testRows,
    randomize: 'total',
    seed: 1,
    outPath,
    metadata: { name },
    shuffleBucketBytes: 4096,
    ...over,
  });
  const r = ProcessedFileReader.open(outPath);
  const rows = batchToRows(r.read(0, r.rows));
  const metadata = r.metadata;
  r.close();
  return { rows, metadata, path: outPath };
}

const ids = (rows: Row[]): number[] => rows.map((r) => r.dense[0]);
const sortedById = (rows: Row[]): Row[] => [...rows].sort((a, b) => a.dense[0] - b.dense[0]);

test('none: training days in file order, then the last day; splits as documented', async () => {
  const m = await build('none.bin', { randomize: 'none', metadata: { splits: mergedSplits(1200, 301, testRows) } });
  assert.deepEqual(m.rows, [...days[0], ...days[1], ...days[2]]);
  assert.deepEqual(mergedSplits(1200, 301, testRows), {
    train: { start: 0, end: 1200 },
    test: { start: 1200, end: 1351 },
    val: { start: 1351, end: 1501 },
  });
  assert.deepEqual(m.metadata, { splits: mergedSplits(1200, 301, testRows) });
});

test('total: train rows are a seeded permutation across days; test/val exactly in order; deterministic per seed', async () => {
  const a = await build('total-a.bin', { randomize: 'total', seed: 7, metadata: {} });
  const b = await build('total-b.bin', { randomize: 'total', seed: 7, metadata: {} });
  const c = await build('total-c.bin', { randomize: 'total', seed: 8 });
  const oneBucket = await build('total-one.bin', { randomize: 'total', seed: 7, shuffleBucketBytes: 1 << 30 });
  for (const m of [a, c, oneBucket]) {
    const train = m.rows.slice(0, 1200);
    assert.deepEqual(sortedById(train), trainInput, 'train rows are a permutation of the input train rows');
    assert.notDeepEqual(ids(train), ids(trainInput));
    assert.deepEqual(m.rows.slice(1200), days[2], 'test then val in file order');
    // rows of both days are spread over the whole train range
    const firstHalfFromDay1 = train.slice(0, 600).filter((r) => r.dense[0] >= 700).length;
    assert.ok(firstHalfFromDay1 > 150 && firstHalfFromDay1 < 350, `day-1 rows in the first half: ${firstHalfFromDay1}`);
  }
  assert.deepEqual(fs.readFileSync(a.path), fs.readFileSync(b.path), 'same seed, same bytes');
  assert.notDeepEqual(ids(a.rows), ids(c.rows), 'different seed, different order');
  assert.notDeepEqual(ids(a.rows), ids(oneBucket.rows), 'the bucket budget is part of the order');
});

test('day: each training day is permuted within itself', async () => {
  const m = await build('day.bin', { randomize: 'day', seed: 3 });
  const d0 = m.rows.slice(0, 700);
  const d1 = m.rows.slice(700, 1200);
  assert.deepEqual(sortedById(d0), days[0]);
  assert.deepEqual(sortedById(d1), days[1]);
  assert.notDeepEqual(ids(d0), ids(days[0]));
  assert.notDeepEqual(ids(d1), ids(days[1]));
  assert.deepEqual(m.rows.slice(1200), days[2]);
  const again = await build('day-again.bin', { randomize: 'day', seed: 3 });
  assert.deepEqual(ids(again.rows), ids(m.rows));
});

test('the bucket shuffle is unbiased: rows of every input block reach every output block equally often', async () => {
  // 60 train rows in 6 blocks of 10, ~4 buckets, 30 seeds: each (input block, output block) cell expects 50
  const small = path.join(dir, 'small_0.bin');
  const last = path.join(dir, 'small_1.bin');
  writeRows(
    small,
    randomRows(new Rng(1), 60, 1, 1).map((r, i) => ({ ...r, dense: [i] })),
    1,
    1,
    16,
    {},
  );
  writeRows(last, randomRows(new Rng(2), 4, 1, 1), 1, 1, 16, {});
  const cells = Array.from({ length: 6 }, () => new Array<number>(6).fill(0));
  const out = path.join(dir, 'small-merged.bin');
  for (let seed = 0; seed < 30; seed++) {
    await buildMergedFile({
      dayFiles: [small, last],
      trainDays: 1,
      testRows: 2,
      randomize: 'total',
      seed,
      outPath: out,
      metadata: {},
      shuffleBucketBytes: 700,
    });
    const r = ProcessedFileReader.open(out);
    ids(batchToRows(r.read(0, 60))).forEach((id, pos) => cells[Math.floor(id / 10)][Math.floor(pos / 10)]++);
    r.close();
  }
  // each cell is binomial(300, 1/6): 50 ± 6.5; ± 30 is beyond 4.5 standard deviations
  for (const row of cells)
    for (const n of row) assert.ok(n > 20 && n < 80, `input block x output block counts: ${JSON.stringify(cells)}`);
});

test('errors: a missing day file is a UserError; wrong splits or testRows refuse; nothing is left behind', async () => {
  const outPath = path.join(dir, 'bad.bin');
  const base: MergedFileOptions = {
    dayFiles,
    trainDays: 2,
    testRows,
    randomize: 'total',
    seed: 1,
    outPath,
    metadata: {},
    shuffleBucketBytes: 4096,
  };
  await assert.rejects(
    buildMergedFile({ ...base, dayFiles: [dayFiles[0], path.join(dir, 'nope.bin'), dayFiles[2]] }),
    (e: unknown) => e instanceof UserError && e.message.includes('nope.bin'),
  );
  await assert.rejects(
    buildMergedFile({ ...base, metadata: { splits: mergedSplits(1199, 301, testRows) } }),
    /disagree/,
  );
  await assert.rejects(buildMergedFile({ ...base, testRows: 302 }), /testRows=302/);
  await assert.rejects(buildMergedFile({ ...base, trainDays: 1 }), /training days/);
  const other = path.join(dir, 'other-shape.bin');
  writeRows(other, randomRows(new Rng(1), 5, D + 1, T), D + 1, T, 64, {});
  await assert.rejects(
    buildMergedFile({ ...base, dayFiles: [dayFiles[0], other, dayFiles[2]] }),
    (e: unknown) => e instanceof UserError && /other-shape\.bin: holds 3 dense/.test(e.message),
  );
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('bad.bin')),
    [],
  );
});

test('the split loader reads the merged file back: train = the shuffled rows, test and val = the last day halves', async () => {
  const metadata = {
    numDense: D,
    tables: [{ count: 1000 }, { count: 1000 }, { count: 1000 }],
    splits: mergedSplits(1200, 301, testRows),
  };
  const m = await build('with-manifest.bin', { randomize: 'total', seed: 5, metadata });
  const expected = { train: m.rows.slice(0, 1200), test: days[2].slice(0, 151), val: days[2].slice(151) };
  for (const split of ['train', 'test', 'val'] as const) {
    const source = openProcessedSplit(m.path, split);
    const got: Row[] = [];
    for await (const b of source.batches(128)) got.push(...batchToRows(b));
    source.close();
    assert.deepEqual(got, expected[split], split);
  }
});

test('temporaries of a killed earlier build are removed; those of a running process are kept', async () => {
  const outPath = path.join(dir, 'stale.bin');
  const dead = 2 ** 22 + 12345; // above the default pid_max (4,194,304): never a running process
  const staleFile = path.join(dir, `.stale.bin.tmp-${dead}`);
  const staleDir = path.join(dir, `.stale.bin.shuffle-${dead}`);
  const live = path.join(dir, `.stale.bin.tmp-${process.ppid}`);
  const unrelated = path.join(dir, `.other.bin.tmp-${dead}`);
  fs.writeFileSync(staleFile, 'x');
  fs.mkdirSync(staleDir);
  fs.writeFileSync(path.join(staleDir, 'bucket-0.records'), 'x');
  fs.writeFileSync(live, 'x');
  fs.writeFileSync(unrelated, 'x');
  await build('stale.bin', { randomize: 'none' });
  assert.equal(fs.existsSync(outPath), true);
  assert.equal(fs.existsSync(staleFile), false);
  assert.equal(fs.existsSync(staleDir), false);
  assert.equal(fs.existsSync(live), true, 'a running process keeps its temporary file');
  assert.equal(fs.existsSync(unrelated), true, 'other outputs are not touched');
});

/** The shuffle's order as docs/FORMAT.md describes it, computed from the row count and the bucket count alone. */
function documentedOrder(rng: Rng, ids: number[], K: number): number[] {
  const buckets: number[][] = Array.from({ length: K }, () => []);
  for (const id of ids) buckets[rng.nextInt(K)].push(id);
  return buckets.flatMap((b) => {
    const perm = Uint32Array.from(b.keys());
    rng.shuffle(perm);
    return Array.from(perm, (i) => b[i]);
  });
}

test('total and day orders equal the documented draws (bucket per row in input order, then Fisher-Yates per bucket)', async () => {
  const bucketBytes = 4096;
  const readers = dayFiles.map((f) => ProcessedFileReader.open(f));
  const bytesOf = (d: number[]): number => d.reduce((s, i) => s + readers[i].fileBytes, 0);
  const K = (bytes: number): number => Math.min(512, Math.max(1, Math.ceil(bytes / bucketBytes)));
  readers.forEach((r) => r.close());
  const total = await build('documented-total.bin', { randomize: 'total', seed: 12, shuffleBucketBytes: bucketBytes });
  const rng = new Rng(12);
  const expected = documentedOrder(rng, ids(trainInput), K(bytesOf([0, 1])));
  assert.ok(K(bytesOf([0, 1])) > 2, 'several buckets');
  assert.deepEqual(ids(total.rows.slice(0, 1200)), expected);
  const day = await build('documented-day.bin', { randomize: 'day', seed: 13, shuffleBucketBytes: bucketBytes });
  const rngDay = new Rng(13);
  const expectedDay = [0, 1].flatMap((d) => documentedOrder(rngDay, ids(days[d]), K(bytesOf([d]))));
  assert.deepEqual(ids(day.rows.slice(0, 1200)), expectedDay);
  assert.deepEqual(day.rows.slice(1200), days[2]);
});

test('one-hot rows are shuffled in memory into exactly the file the bucket shuffle writes (total and day, several buckets)', async () => {
  // one index per bag: the in-memory path applies
  const oneHotDays = dayRows.map((n, d) => randomRows(new Rng(40 + d), n, D, T, 1, 1));
  const oneHotFiles = oneHotDays.map((rows, d) => {
    const p = path.join(dir, `onehot_${d}.bin`);
    writeRows(p, rows, D, T, 64, { day: d });
    return p;
  });
  const messages: string[] = [];
  const logger = log();
  const info = logger.info.bind(logger);
  logger.info = (obj: unknown, msg?: string) => {
    if (typeof msg === 'string') messages.push(msg);
    return info(obj as object, msg);
  };
  try {
    for (const [randomize, seed, bucketBytes] of [
      ['total', 3, 2048],
      ['total', 4, 1 << 30],
      ['day', 5, 1024],
    ] as const) {
      const files = await Promise.all(
        [undefined, 0].map(async (memoryBytes) => {
          const outPath = path.join(dir, `onehot-${randomize}-${seed}-${memoryBytes ?? 'default'}.bin`);
          await buildMergedFile({
            dayFiles: oneHotFiles,
            trainDays: 2,
            testRows,
            randomize,
            seed,
            outPath,
            metadata: {},
            shuffleBucketBytes: bucketBytes,
            ...(memoryBytes === 0 ? { shuffleMemoryBytes: 0 } : {}),
          });
          return outPath;
        }),
      );
      assert.ok(
        fs.readFileSync(files[0]).equals(fs.readFileSync(files[1])),
        `${randomize} seed ${seed}: in-memory and bucket files differ`,
      );
      const r = ProcessedFileReader.open(files[0]);
      const train = batchToRows(r.read(0, 1200));
      r.close();
      assert.notDeepEqual(train, [...oneHotDays[0], ...oneHotDays[1]], 'the rows were shuffled');
    }
  } finally {
    logger.info = info;
  }
  assert.equal(messages.filter((m) => m.includes('in memory')).length, 4, messages.join(' | '));
  assert.equal(messages.filter((m) => m.includes('in buckets')).length, 4, messages.join(' | '));
});
