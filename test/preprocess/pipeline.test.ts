import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { runPreprocess, type PreprocessConfig } from '../../src/preprocess/pipeline';
import { kaggleDaySizes } from '../../src/criteo/rawSources';
import { subsampleDraw } from '../../src/rawformat/subsample';
import type { Manifest } from '../../src/dataset/manifest';
import { log, setupLogger } from '../../src/util/log';
import { buildMergedFromShards } from '../../src/preprocess/publish';
import { buildMergedFile } from '../../src/dataset/mergedFile';
import { UserError } from '../../src/util/errors';
import { generateTextFile } from '../../src/criteo/generatorText';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { tempDir } from '../helpers/sharedData';
import {
  criteoLines,
  outputBytes,
  readProcessed,
  readVocab,
  referencePreprocess,
  type ReferenceResult,
} from './fixtures';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

setupLogger({ level: 'error' });
const dir = tempDir('pp-pipeline');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function config(raw: string, out: string, extra: Partial<PreprocessConfig> = {}): PreprocessConfig {
  return preprocessConfig(raw, out, { dataRandomize: 'none', blockBytes: 8192, ...extra });
}

/** Cuts lines into Kaggle's 7 days. */
function kaggleCut(lines: string[]): string[][] {
  const out: string[][] = [];
  let at = 0;
  for (const n of kaggleDaySizes(lines.length)) {
    out.push(lines.slice(at, at + n));
    at += n;
  }
  return out;
}

/** Checks every output of a finished run against the naive reference. */
function checkAgainstReference(out: string, ref: ReferenceResult, invalidPerDay?: number[]): Manifest {
  const parts = `${out}.parts`;
  const manifest = JSON.parse(fs.readFileSync(path.join(parts, 'manifest.json'), 'utf8')) as Manifest;
  assert.deepEqual(
    manifest.tables.map((t) => t.count),
    ref.counts,
  );
  assert.deepEqual(
    manifest.days.map((d) => d.rows),
    ref.days.map((d) => d.labels.length),
  );
  if (invalidPerDay)
    assert.deepEqual(
      manifest.days.map((d) => d.invalidLines),
      invalidPerDay,
    );
  ref.days.forEach((day, d) => {
    const got = readProcessed(path.join(parts, manifest.days[d].shard));
    assert.deepEqual(got.labels, day.labels, `day ${d} labels`);
    assert.deepEqual(got.dense, day.dense, `day ${d} dense`);
    assert.deepEqual(got.indices, day.indices, `day ${d} indices`);
  });
  manifest.tables.forEach((t, i) =>
    assert.deepEqual(readVocab(path.join(parts, t.vocabFile)), ref.vocab[i], `vocab ${t.name}`),
  );
  const merged = readProcessed(out);
  assert.deepEqual(merged.metadata, manifest);
  const train = ref.days.slice(0, -1).reduce((s, d) => s + d.labels.length, 0);
  const last = ref.days[ref.days.length - 1].labels.length;
  assert.deepEqual(manifest.splits, {
    train: { start: 0, end: train },
    test: { start: train, end: train + Math.ceil(last / 2) },
    val: { start: train + Math.ceil(last / 2), end: train + last },
  });
  assert.equal(manifest.totalRows, train + last);
  assert.equal(path.resolve(parts, manifest.mergedFile), path.resolve(out));
  if (manifest.options.dataRandomize === 'none') {
    assert.deepEqual(
      merged.labels,
      ref.days.flatMap((d) => d.labels),
    );
    assert.deepEqual(
      merged.indices[3],
      ref.days.flatMap((d) => d.indices[3]),
    );
  }
  assert.ok(
    !fs.existsSync(path.join(path.dirname(out), `.${path.basename(out)}.parts.partial`)),
    'work folder removed',
  );
  return manifest;
}

const lines = criteoLines(3000, 1);
const raw = path.join(dir, 'train.txt');
fs.writeFileSync(raw, lines.join('\n') + '\n');

test('Kaggle end to end: shards, vocabularies, manifest and merged file equal the reference semantics', async () => {
  const out = path.join(dir, 'a.dlrm');
  const res = await runPreprocess(config(raw, out));
  assert.equal(res.lines, 3000);
  const ref = referencePreprocess(kaggleCut(lines));
  const m = checkAgainstReference(out, ref, new Array(7).fill(0));
  assert.deepEqual(
    m.days.map((d) => d.rows),
    kaggleDaySizes(3000),
  );
  assert.equal(m.sources[0].bytes, fs.statSync(raw).size);
  assert.match(m.sources[0].sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(m.denseTransforms, new Array(13).fill('log1p'));
  // oovIndex: the missing value's index (every table here has missing values)
  m.tables.forEach((t, i) => assert.equal(t.oovIndex, ref.vocab[i].indexOf(0)));
});

test('outputs are byte-identical whatever the worker count and block size', async () => {
  process.env.SOURCE_DATE_EPOCH = '1700000000';
  try {
    const runs: Map<string, Buffer>[] = [];
    for (const [workers, blockBytes] of [
      [2, 8192],
      [1, 1 << 20],
      [3, 3000],
    ]) {
      fs.mkdirSync(path.join(dir, `w${workers}`));
      const out = path.join(dir, `w${workers}`, 'same-name.dlrm');
      await runPreprocess(config(raw, out, { workers, blockBytes, dataRandomize: 'total', seed: 5 }));
      runs.push(outputBytes(out));
    }
    assert.ok(runs[0].size > 30);
    for (const r of runs.slice(1)) {
      assert.deepEqual([...r.keys()], [...runs[0].keys()]);
      for (const [k, v] of r) assert.ok(v.equals(runs[0].get(k) as Buffer), `${k} differs`);
    }
  } finally {
    delete process.env.SOURCE_DATE_EPOCH;
  }
});

test('--data-sub-sample-rate, --max-ind-range and --min-frequency follow the reference semantics', async () => {
  const out = path.join(dir, 'b.dlrm');
  const rate = 0.5,
    seed = 9,
    K = 3,
    M = 50;
  await runPreprocess(
    config(raw, out, { dataSubSampleRate: rate, seed, maxIndRange: M, minFrequency: K, dataRandomize: 'total' }),
  );
  const ref = referencePreprocess(kaggleCut(lines), {
    maxIndRange: M,
    minFrequency: K,
    keep: (d, i, label) => label === 1 || subsampleDraw(seed, d, i) >= rate,
  });
  const m = checkAgainstReference(out, ref);
  const kept = ref.days.reduce((s, d) => s + d.labels.length, 0);
  assert.ok(kept < 3000 * 0.8 && kept > 3000 * 0.55, `kept ${kept}`);
  m.tables.forEach((t) => assert.equal(t.oovIndex, t.count - 1));
  assert.ok(
    m.tables.some((t, i) => ref.days.some((d) => d.indices[i].includes(t.count - 1))),
    'some rare values are mapped to the shared index',
  );
  assert.deepEqual(m.options, {
    dataSet: 'kaggle',
    maxIndRange: M,
    dataSubSampleRate: rate,
    dataRandomize: 'total',
    minFrequency: K,
    skipInvalidLines: false,
    seed,
  });
  // total randomization: the merged train rows are a permutation of the day rows, test/val in order
  const merged = readProcessed(out);
  const trainEnd = m.splits.train.end;
  const key = (x: { labels: number[]; indices: number[][] }, r: number): string =>
    [x.labels[r], ...x.indices.map((t) => t[r])].join(',');
  const want = ref.days
    .slice(0, -1)
    .flatMap((d) => d.labels.map((_, r) => key(d, r)))
    .sort();
  const got = Array.from({ length: trainEnd }, (_, r) => key(merged, r));
  assert.notDeepEqual(
    got,
    ref.days.slice(0, -1).flatMap((d) => d.labels.map((_, r) => key(d, r))),
  );
  assert.deepEqual([...got].sort(), want);
  const last = ref.days[6];
  assert.deepEqual(
    Array.from({ length: last.labels.length }, (_, r) => key(merged, trainEnd + r)),
    last.labels.map((_, r) => key(last, r)),
  );
});

test('Terabyte day files, plain and gzipped, are days in order', async () => {
  const tb = path.join(dir, 'tb');
  fs.mkdirSync(tb);
  const days = [criteoLines(400, 2), criteoLines(300, 3), criteoLines(251, 4)];
  fs.writeFileSync(path.join(tb, 'day_0'), days[0].join('\n') + '\n');
  fs.writeFileSync(path.join(tb, 'day_1.gz'), zlib.gzipSync(days[1].join('\n') + '\n'));
  fs.writeFileSync(path.join(tb, 'day_2.gz'), zlib.gzipSync(days[2].join('\n'))); // no final newline
  const out = path.join(tb, 'day.dlrm');
  await runPreprocess(
    config(path.join(tb, 'day'), undefined as unknown as string, {
      dataSet: 'terabyte',
      processedDataFile: undefined,
      maxIndRange: 1000,
    }),
  );
  const m = checkAgainstReference(out, referencePreprocess(days, { maxIndRange: 1000 }));
  assert.deepEqual(
    m.sources.map((s) => path.basename(s.path)),
    ['day_0', 'day_1.gz', 'day_2.gz'],
  );
  for (const s of m.sources) assert.match(s.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(m.splits.test, { start: 700, end: 826 });
});

test('--skip-invalid-lines counts bad lines per day and keeps the good ones', async () => {
  const bad = [...lines.slice(0, 700)];
  bad[10] = bad[10].replace(/^0|^1/, '7');
  bad[11] = bad[11].split('\t').slice(1).join('\t');
  bad[500] = bad[500] + '\tzz';
  const file = path.join(dir, 'bad.txt');
  fs.writeFileSync(file, bad.join('\n') + '\n');
  const out = path.join(dir, 'bad.dlrm');
  await runPreprocess(config(file, out, { skipInvalidLines: true }));
  const cut = kaggleCut(bad);
  const isBad = (l: string): boolean => l === bad[10] || l === bad[11] || l === bad[500];
  checkAgainstReference(
    out,
    referencePreprocess(cut.map((d) => d.filter((l) => !isBad(l)))),
    cut.map((d) => d.filter(isBad).length),
  );
});

test('end to end on a file from the Criteo generator (src/criteo/generator.ts)', async () => {
  const gen = path.join(dir, 'generated.txt');
  await generateTextFile({ profile: loadProfile('kaggle'), rows: 5000, out: gen, seed: 3, withLabel: true });
  const genLines = fs.readFileSync(gen, 'utf8').split('\n').slice(0, -1);
  assert.equal(genLines.length, 5000);
  const out = path.join(dir, 'generated.dlrm');
  await runPreprocess(config(gen, out, { maxIndRange: 100_000, workers: 2, blockBytes: 1 << 16 }));
  checkAgainstReference(out, referencePreprocess(kaggleCut(genLines), { maxIndRange: 100_000 }), new Array(7).fill(0));
});

test('--data-randomize none: the merged file written along with the shards equals the one built from them', async () => {
  const d = path.join(dir, 'streamed');
  fs.mkdirSync(d);
  const out = path.join(d, 'none.dlrm');
  await runPreprocess(config(raw, out, { blockBytes: 5000 }));
  const parts = `${out}.parts`;
  const manifest = JSON.parse(fs.readFileSync(path.join(parts, 'manifest.json'), 'utf8')) as Manifest;
  const rebuilt = path.join(d, 'rebuilt.dlrm');
  await buildMergedFile({
    dayFiles: manifest.days.map((day) => path.join(parts, day.shard)),
    trainDays: manifest.days.length - 1,
    testRows: manifest.splits.test.end - manifest.splits.test.start,
    randomize: 'none',
    seed: 0,
    outPath: rebuilt,
    metadata: manifest,
  });
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(rebuilt)), 'merged bytes differ');
  assert.deepEqual(fs.readdirSync(d).sort(), ['none.dlrm', 'none.dlrm.parts', 'rebuilt.dlrm']);
});

test('--data-randomize none: a bad line in a late day leaves nothing behind (no partial merged file)', async () => {
  const d = path.join(dir, 'streamed-bad');
  fs.mkdirSync(d);
  const input = path.join(d, 'train.txt');
  const bad = [...lines];
  bad[2900] = bad[2900].replace(/^[01]/, '7');
  fs.writeFileSync(input, bad.join('\n') + '\n');
  await assert.rejects(
    runPreprocess(config(input, path.join(d, 'out.dlrm'))),
    (e: unknown) => e instanceof UserError && /train\.txt:2901: field 1/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(d), ['train.txt']);
});

test('total and day: the merged file shuffled from rows held during the days equals the one built from the shards', async () => {
  const d = path.join(dir, 'held');
  fs.mkdirSync(d);
  const logger = log();
  const info = logger.info.bind(logger);
  const readShards: unknown[] = [];
  logger.info = (obj: unknown, msg?: string) => {
    if (msg === 'merged file: shuffling rows in memory') readShards.push((obj as { readShards: unknown }).readShards);
    return info(obj as object, msg);
  };
  try {
    for (const randomize of ['total', 'day'] as const) {
      const out = path.join(d, `${randomize}.dlrm`);
      await runPreprocess(config(raw, out, { blockBytes: 5000, dataRandomize: randomize, seed: 11 }));
      const manifest = JSON.parse(fs.readFileSync(path.join(`${out}.parts`, 'manifest.json'), 'utf8')) as Manifest;
      const rebuilt = path.join(d, `${randomize}-rebuilt.dlrm`);
      await buildMergedFromShards(manifest, `${out}.parts`, rebuilt);
      assert.ok(fs.readFileSync(out).equals(fs.readFileSync(rebuilt)), `${randomize}: merged bytes differ`);
    }
  } finally {
    logger.info = info;
  }
  // total: one in-memory shuffle from held rows, then one reading the shards; day: 6 days each way
  assert.deepEqual(readShards, [
    false,
    true,
    ...new Array<boolean>(6).fill(false),
    ...new Array<boolean>(6).fill(true),
  ]);
});
