// `dlrm eval` end to end through the built CLI: a generated raw file is preprocessed and a model trained in
// the test; the metrics eval prints (JSON and table) must equal metrics computed here, naively and
// independently (pairwise AUC, direct sums), from the engine's predictions on the split's rows read straight
// from the file. Also: --split selection, the training run's --max-ind-range folding, and the refusals
// (model/data mismatch in tables or dense width, empty split, missing files).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessedFileWriter } from '../../src/dataset/processedFile';
import type { Manifest, SplitName } from '../../src/dataset/manifest';
import type { Engine } from '../../src/engine/engine';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { buildFixture, dlrm, mergedRows, predictInChunks, referenceEngine, type Fixture } from '../predict/fixtures';
import type { BinaryMetrics } from '../../src/eval/metrics';

const dir = tempDir('eval');
let fx: Fixture;
let folded: Fixture;
let engine: Engine;
let foldedEngine: Engine;

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  fx = await buildFixture(dir, 'gen', { rows: 6000, seed: 5 });
  folded = await buildFixture(dir, 'folded', { rows: 3000, seed: 6, trainMaxIndRange: 300 });
  engine = await referenceEngine(fx);
  foldedEngine = await referenceEngine(folded);
});
after(() => {
  engine?.dispose();
  foldedEngine?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The metrics computed independently in this test, in the metrics module's shape. */
type Expected = BinaryMetrics;

/** The metrics, computed the slow obvious way. */
function naiveMetrics(p: Float32Array, y: Float32Array): Expected {
  const n = p.length;
  let correct = 0,
    ll = 0,
    ps = 0,
    ys = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] >= 0.5 === y[i] >= 0.5) correct++;
    ll -= y[i] * Math.max(Math.log(p[i]), -100) + (1 - y[i]) * Math.max(Math.log(1 - p[i]), -100);
    ps += p[i];
    ys += y[i];
  }
  const pos = [...p].filter((_, i) => y[i] >= 0.5);
  const neg = [...p].filter((_, i) => y[i] < 0.5);
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
  const rate = ys / n;
  const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
  let ap = 0,
    tp = 0,
    fp = 0;
  for (let k = 0; k < n;) {
    let j = k;
    const tpBefore = tp;
    while (j < n && p[order[j]] === p[order[k]]) {
      if (y[order[j++]] >= 0.5) tp++;
      else fp++;
    }
    ap += ((tp - tpBefore) / pos.length) * (tp / (tp + fp));
    k = j;
  }
  return {
    rows: n,
    positiveRate: rate,
    accuracy: correct / n,
    auc: wins / pos.length / neg.length,
    logloss: ll / n,
    ne: ll / n / -(rate * Math.log(rate) + (1 - rate) * Math.log(1 - rate)),
    calibration: ps / n / rate,
    averagePrecision: ap,
  };
}

async function expectedFor(f: Fixture, e: Engine, split: SplitName): Promise<Expected> {
  const { start, end } = f.manifest.splits[split];
  const batch = mergedRows(f, start, end);
  return naiveMetrics(await predictInChunks(e, batch, 4096), batch.labels);
}

function assertClose(got: Record<string, unknown>, want: Expected): void {
  for (const [k, v] of Object.entries(want) as [string, number][]) {
    const g = got[k] as number;
    assert.equal(typeof g, 'number', `${k} is a number`);
    assert.ok(Math.abs(g - v) <= 1e-9 * Math.max(1, Math.abs(v)), `${k}: eval printed ${g}, computed ${v}`);
  }
}

function evalJson(...args: string[]): Record<string, unknown> {
  const r = dlrm('eval', '--json', '--mini-batch-size', '4096', ...args);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object on stdout');
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

test('--json prints the test split metrics, equal to metrics computed independently from the engine predictions', async () => {
  const got = evalJson('--processed-data-file', fx.merged, '--load-model', fx.model);
  assert.equal(got.split, 'test');
  assert.equal(got.modelSteps, fx.trained.globalStep);
  assert.equal(got.rows, fx.manifest.splits.test.end - fx.manifest.splits.test.start);
  const want = await expectedFor(fx, engine, 'test');
  assert.ok(want.auc > 0.5 && want.auc < 1, `a non-trivial model (AUC ${want.auc})`);
  assertClose(got, want);
  assert.ok((got.samplesPerSec as number) > 0);
});

test('--split val and --split train select those rows', async () => {
  for (const split of ['val', 'train'] as const) {
    const got = evalJson('--processed-data-file', fx.merged, '--load-model', fx.model, '--split', split);
    assert.equal(got.split, split);
    assert.equal(got.rows, fx.manifest.splits[split].end - fx.manifest.splits[split].start);
    assertClose(got, await expectedFor(fx, engine, split));
  }
});

test('the table shows the same numbers, one per line', async () => {
  const r = dlrm('eval', '--processed-data-file', fx.merged, '--load-model', fx.model, '--mini-batch-size', '4096');
  assert.equal(r.status, 0, r.stderr);
  const want = await expectedFor(fx, engine, 'test');
  const value = (name: string): string => {
    const line = r.stdout.split('\n').find((l) => l.trim().startsWith(name + ' '));
    assert.ok(line, `a '${name}' line in:\n${r.stdout}`);
    return line.trim().slice(name.length).trim();
  };
  assert.equal(value('rows'), want.rows.toLocaleString('en-US'));
  assert.equal(value('ROC AUC'), want.auc.toFixed(6));
  assert.equal(value('logloss'), want.logloss.toFixed(6));
  assert.equal(value('normalized entropy'), want.ne.toFixed(6));
  assert.equal(value('average precision'), want.averagePrecision.toFixed(6));
  assert.equal(value('calibration'), want.calibration.toFixed(6));
  assert.equal(value('positive rate'), want.positiveRate.toFixed(6));
  assert.equal(value('accuracy (p >= 0.5)'), want.accuracy.toFixed(6));
});

test('a model trained with --max-ind-range is evaluated on indices folded the same way', async () => {
  assert.ok(
    folded.manifest.tables.some((t) => t.count > 300),
    'some table is folded',
  );
  const got = evalJson('--processed-data-file', folded.merged, '--load-model', folded.model);
  assertClose(got, await expectedFor(folded, foldedEngine, 'test'));
});

test('a model that does not fit the data is refused, naming the model, the file and the tables', () => {
  // fx's model on folded's file: same number of tables, different sizes
  const r = dlrm('eval', '--processed-data-file', folded.merged, '--load-model', fx.model);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^dlrm: --load-model .*gen\.ckpt does not fit .*folded\.dlrm: embedding table sizes differ: table 0: \d+ rows in the model, \d+ in the data/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

/** A processed file with `numDense` dense features, `tables` tables and the given splits. */
function writeProcessed(file: string, numDense: number, tableCounts: number[], splits: Manifest['splits']): void {
  const rows = splits.val.end;
  const w = new ProcessedFileWriter(file, { numDense, numTables: tableCounts.length });
  const offsets = Uint32Array.from({ length: rows + 1 }, (_, i) => i);
  w.append(
    new Float32Array(rows),
    new Float32Array(rows * numDense),
    tableCounts.map(() => ({ offsets, indices: new Uint32Array(rows) })),
  );
  w.commit({
    numDense,
    tables: tableCounts.map((count, t) => ({
      name: `C${t + 1}`,
      count,
      oovIndex: 0,
      vocabFile: `vocab/C${t + 1}.u32`,
    })),
    splits,
    totalRows: rows,
  });
}

test('dense width and table count mismatches, an empty split and missing files are refused with one line', () => {
  const counts = fx.manifest.tables.map((t) => t.count);
  const splits = { train: { start: 0, end: 10 }, test: { start: 10, end: 15 }, val: { start: 15, end: 15 } };
  const dense = path.join(dir, 'dense3.dlrm');
  writeProcessed(dense, 3, counts, splits);
  let r = dlrm('eval', '--processed-data-file', dense, '--load-model', fx.model);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /does not fit .*dense3\.dlrm: the model takes 13 dense features, the data has 3/);

  const fewer = path.join(dir, 'tables25.dlrm');
  writeProcessed(fewer, 13, counts.slice(1), splits);
  r = dlrm('eval', '--processed-data-file', fewer, '--load-model', fx.model);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /the model has 26 embedding tables, the data has 25 categorical features/);

  r = dlrm('eval', '--processed-data-file', dense, '--load-model', fx.model, '--split', 'val');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /dense3\.dlrm: split 'val' is empty/);

  r = dlrm('eval', '--processed-data-file', path.join(dir, 'nope.dlrm'), '--load-model', fx.model);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nope\.dlrm: cannot open processed file/);
  r = dlrm('eval', '--processed-data-file', fx.merged, '--load-model', path.join(dir, 'nope.ckpt'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--load-model: cannot open .*nope\.ckpt/);
  for (const x of [r.stderr])
    assert.equal(
      x
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('dlrm:')).length,
      1,
    );
});

test('undefined metrics (a split with one class only) are null in the JSON and n/a in the table', () => {
  const counts = fx.manifest.tables.map((t) => t.count);
  const oneClass = path.join(dir, 'one-class.dlrm');
  writeProcessed(oneClass, 13, counts, {
    train: { start: 0, end: 10 },
    test: { start: 10, end: 40 },
    val: { start: 40, end: 50 },
  });
  const got = evalJson('--processed-data-file', oneClass, '--load-model', fx.model);
  assert.equal(got.rows, 30);
  assert.equal(got.positiveRate, 0);
  for (const k of ['auc', 'averagePrecision', 'ne', 'calibration']) assert.equal(got[k], null, k);
  assert.equal(typeof got.logloss, 'number');
  const table = dlrm('eval', '--processed-data-file', oneClass, '--load-model', fx.model);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /ROC AUC\s+n\/a\n/);
});

test("the checkpoint evaluates as the training run's own final evaluation of the test split did", () => {
  const got = evalJson('--processed-data-file', fx.merged, '--load-model', fx.model);
  const final = fx.trained.metrics;
  assert.ok(final, 'training evaluated at its end');
  assert.equal(got.rows, final.rows);
  // the training run may have used another engine (float32 sums differ in the last bits)
  for (const k of ['auc', 'logloss', 'accuracy', 'averagePrecision'] as const)
    assert.ok(Math.abs((got[k] as number) - final[k]) < 1e-5, `${k}: ${String(got[k])} vs ${final[k]}`);
});
