// `dlrm export --format onnx`, run by onnxruntime-node: the file's probabilities equal the engine's
// (engine.predict on the same rows, fed as dlrm predict feeds it) within 1e-5, on
//  - the real Kaggle sample (../shared; skipped with the reason when absent): a dot model with
//    --arch-interaction-itself and --max-ind-range folding (done in the graph), and a cat model; one-hot
//    inputs indices_t [N];
//  - a user's schema with a multi-hot column (bags: indices_t + offsets_t, empty bags included), dot and
//    cat, and the same schema without dense features (no `dense` input: the constant is in the graph);
// a model trained on random data (no manifest: bags for every table) and the --loss-threshold clip against
// the engine's (some probabilities at each bound); plus the external-data path (a small --external-data-threshold: tables in <out>.data, same scores
// bit for bit, the .onnx file smaller), the input/output names and shapes, Triton's config.pbtxt (in the
// model folder above a version folder, naming every graph input).
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Batch } from '../../src/dataset/batch';
import { RandomSource } from '../../src/dataset/randomSource';
import { createEngine } from '../../src/engine/createEngine';
import { buildOnnxModel } from '../../src/export/onnxGraph';
import { writeOnnx } from '../../src/export/onnxFile';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { runPreprocess } from '../../src/preprocess/pipeline';
import type { OnnxInputLayout } from '../../src/export/onnxGraph';
import { setupLogger } from '../../src/util/log';
import { sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { allRows, assertOnnxMatchesEngines, maxAbsDiff, onnxScores, trainModel } from './fixtures';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

const TOLERANCE = 1e-5;
const dir = tempDir('export-onnx');
const kaggle = sharedCriteoFile('kaggle-sample.txt');
const kaggleSkip = 'skip' in kaggle ? kaggle.skip : false;
if (kaggleSkip) console.log(`# skipping the real-sample ONNX tests: ${kaggleSkip}`);
let kaggleMerged = '';

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  if ('skip' in kaggle) return;
  kaggleMerged = path.join(dir, 'kaggle.dlrm');
  await runPreprocess(preprocessConfig(kaggle.path, kaggleMerged, { dataRandomize: 'none', workers: 1 }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Exports `model` to ONNX through the CLI; returns the layout recorded in the file's metadata. */
function exportOnnx(model: string, out: string, ...extra: string[]): OnnxInputLayout {
  const r = dlrm('export', '--load-model', model, '--format', 'onnx', '--out', out, ...extra);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(metadataOf(out).dlrm_inputs) as OnnxInputLayout;
}

/** The metadata_props of an ONNX file, read back with onnx-proto. */
function metadataOf(file: string): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  return Object.fromEntries(m.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

async function assertSameScores(
  model: string,
  onnxFile: string,
  merged: string,
  layout: OnnxInputLayout,
): Promise<Float32Array> {
  return assertOnnxMatchesEngines(model, onnxFile, allRows(merged), layout, TOLERANCE);
}

test(
  'Kaggle sample, dot with itself and --max-ind-range 500: onnxruntime scores = engine scores within 1e-5',
  { skip: kaggleSkip },
  async () => {
    const model = path.join(dir, 'kaggle-dot.ckpt');
    await trainModel(kaggleMerged, model, {
      archMlpBot: [13, 16, 8],
      archMlpTop: [16, 1],
      archInteractionOp: 'dot',
      archInteractionItself: true,
      maxIndRange: 500,
    });
    const out = path.join(dir, 'kaggle-dot.onnx');
    const layout = exportOnnx(model, out);
    assert.deepEqual(layout, { denseInput: true, bags: new Array(26).fill(false) });
    const session = await ort.InferenceSession.create(out);
    assert.deepEqual(session.inputNames, ['dense', ...Array.from({ length: 26 }, (_, t) => `indices_${t}`)]);
    assert.deepEqual(session.outputNames, ['probability']);
    await session.release();
    await assertSameScores(model, out, kaggleMerged, layout);
  },
);

test(
  'Kaggle sample, cat: onnxruntime scores = engine scores; external data gives the same bits',
  { skip: kaggleSkip },
  async () => {
    const model = path.join(dir, 'kaggle-cat.ckpt');
    await trainModel(kaggleMerged, model, { archMlpBot: [13, 16, 8], archMlpTop: [32, 1], archInteractionOp: 'cat' });
    const inline = path.join(dir, 'kaggle-cat.onnx');
    const layout = exportOnnx(model, inline);
    assert.ok(!fs.existsSync(`${inline}.data`), 'a small model is one file');
    const inlineScores = await assertSameScores(model, inline, kaggleMerged, layout);
    // the external-data path, with a threshold small enough to move the tables out
    const externalDir = path.join(dir, 'external');
    fs.mkdirSync(externalDir);
    const external = path.join(externalDir, 'model.onnx');
    exportOnnx(model, external, '--external-data-threshold', '4096');
    const dataFile = `${external}.data`;
    assert.ok(fs.existsSync(dataFile), 'the external data file is written beside the model');
    assert.ok(
      fs.statSync(external).size < fs.statSync(inline).size / 4,
      `the .onnx keeps only the small tensors (${fs.statSync(external).size} vs ${fs.statSync(inline).size} bytes)`,
    );
    assert.ok(fs.statSync(dataFile).size > fs.statSync(inline).size / 2, 'the tables are in the data file');
    const externalScores = await onnxScores(external, allRows(kaggleMerged), layout);
    assert.deepEqual(externalScores, inlineScores);
  },
);

test('multi-hot schema: bags (indices + offsets), dot and cat, and no dense features: onnxruntime = engine within 1e-5', async () => {
  const rows = logRows(900, 11);
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(rows));
  const variants = [
    { name: 'dense', schema: LOG_SCHEMA, bot: [1, 8, 4] },
    {
      name: 'nodense',
      schema: { ...LOG_SCHEMA, columns: LOG_SCHEMA.columns.map((c) => (c === 'price' ? 'ignore' : c)), dense: [] },
      bot: [1, 8, 4],
    },
  ];
  for (const v of variants) {
    const merged = path.join(dir, `logs-${v.name}.dlrm`);
    const pre = dlrm(
      'preprocess',
      '--schema',
      writeJson(path.join(dir, `schema-${v.name}.json`), v.schema),
      '--raw-data-file',
      raw,
      '--processed-data-file',
      merged,
    );
    assert.equal(pre.status, 0, pre.stderr);
    const batch = allRows(merged);
    const tags = batch.sparse[2];
    const sizes = Array.from({ length: batch.size }, (_, b) => tags.offsets[b + 1] - tags.offsets[b]);
    assert.ok(sizes.includes(0) && sizes.some((s) => s >= 2), 'the data has empty and multi-element bags');
    for (const op of ['dot', 'cat'] as const) {
      const model = path.join(dir, `logs-${v.name}-${op}.ckpt`);
      await trainModel(merged, model, {
        archMlpBot: v.bot,
        archMlpTop: [8, 1],
        archInteractionOp: op,
        miniBatchSize: 32,
      });
      const out = path.join(dir, `logs-${v.name}-${op}.onnx`);
      const layout = exportOnnx(model, out);
      assert.deepEqual(layout, { denseInput: v.name === 'dense', bags: [false, false, true] }, `${v.name} ${op}`);
      const session = await ort.InferenceSession.create(out);
      assert.deepEqual(session.inputNames, [
        ...(v.name === 'dense' ? ['dense'] : []),
        'indices_0',
        'indices_1',
        'indices_2',
        'offsets_2',
      ]);
      await session.release();
      await assertSameScores(model, out, merged, layout);
    }
  }
});

test('--triton-config: config.pbtxt in the model folder above the version folder, naming every input', async () => {
  const raw = path.join(dir, 'triton.csv');
  fs.writeFileSync(raw, logCsv(logRows(300, 3)));
  const merged = path.join(dir, 'triton.dlrm');
  assert.equal(
    dlrm(
      'preprocess',
      '--schema',
      writeJson(path.join(dir, 'triton-schema.json'), LOG_SCHEMA),
      '--raw-data-file',
      raw,
      '--processed-data-file',
      merged,
    ).status,
    0,
  );
  const model = path.join(dir, 'triton.ckpt');
  await trainModel(merged, model, { archMlpBot: [1, 4], archMlpTop: [4, 1], miniBatchSize: 16, numBatches: 2 });
  const version = path.join(dir, 'repo', 'ctr_model', '1');
  fs.mkdirSync(version, { recursive: true });
  const r = dlrm(
    'export',
    '--load-model',
    model,
    '--format',
    'onnx',
    '--out',
    path.join(version, 'model.onnx'),
    '--triton-config',
  );
  assert.equal(r.status, 0, r.stderr);
  const config = fs.readFileSync(path.join(dir, 'repo', 'ctr_model', 'config.pbtxt'), 'utf8');
  assert.match(config, /^name: "ctr_model"$/m);
  assert.match(config, /^backend: "onnxruntime"$/m);
  assert.doesNotMatch(config, /default_model_filename/);
  const names = [...config.matchAll(/name: "([^"]+)"\s+data_type: (\w+)\s+dims: \[ ([^\]]*) \]/g)].map(
    (m) => `${m[1]}:${m[2]}:${m[3]}`,
  );
  assert.deepEqual(names, [
    'dense:TYPE_FP32:-1, 1',
    'indices_0:TYPE_INT64:-1',
    'indices_1:TYPE_INT64:-1',
    'indices_2:TYPE_INT64:-1',
    'offsets_2:TYPE_INT64:-1',
    'probability:TYPE_FP32:-1, 1',
  ]);
});

test('a model trained on random data (no manifest): every table takes bags; --loss-threshold clips in the graph as in the engine', async () => {
  const tableSizes = [40, 7, 300];
  const source = new RandomSource({
    numDense: 5,
    tableSizes,
    rows: 2000,
    seed: 9,
    numIndicesPerLookup: 4,
    numIndicesPerLookupFixed: false,
  });
  let batch: Batch | undefined;
  for await (const b of source.batches(2000)) batch = b;
  assert.ok(batch && batch.sparse[0].indices.length > batch.size, 'random bags hold several indices');
  const model = path.join(dir, 'random.ckpt');
  const t = dlrm(
    'train',
    '--data-generation',
    'random',
    '--arch-embedding-size',
    tableSizes.join('-'),
    '--arch-mlp-bot',
    '5-8-4',
    '--arch-mlp-top',
    '8-1',
    '--num-batches',
    '5',
    '--mini-batch-size',
    '64',
    '--data-size',
    '640',
    '--save-model',
    model,
    '--engine',
    'tfjs',
    '--backend',
    'cpu',
  );
  assert.equal(t.status, 0, t.stderr);
  const out = path.join(dir, 'random.onnx');
  const layout = exportOnnx(model, out);
  assert.deepEqual(layout, { denseInput: true, bags: [true, true, true] });
  const scores = await assertOnnxMatchesEngines(model, out, batch, layout, TOLERANCE);
  // the clip: a threshold inside the scores' range, so that some are clipped at each end
  const sorted = Float32Array.from(scores).sort();
  const lossThreshold = Math.min(
    sorted[Math.floor(sorted.length / 4)],
    1 - sorted[Math.floor((3 * sorted.length) / 4)],
  );
  const m = loadInferenceModel(model);
  const clipped = path.join(dir, 'clipped.onnx');
  writeOnnx(
    clipped,
    buildOnnxModel(m.arch, m.params, {
      layout,
      maxIndRange: 0,
      lossThreshold,
      externalThreshold: Infinity,
      dataFile: 'unused',
      metadata: {},
    }),
    'unused',
  );
  const got = await onnxScores(clipped, batch, layout);
  const engine = await createEngine(
    { engine: 'tfjs', backend: 'cpu' },
    { arch: m.arch, optimizer: 'sgd', loss: 'bce', lossWeights: [1, 1], lossThreshold },
    m.params,
    allocOptimizerState(m.params, 'sgd'),
  );
  const want = await engine.predict(batch);
  engine.dispose();
  assert.ok(maxAbsDiff(got, want) <= TOLERANCE, `clipped: max |onnx - engine| = ${maxAbsDiff(got, want)}`);
  const atBounds = got.filter((p) => p === Math.fround(lossThreshold) || p === Math.fround(1 - lossThreshold)).length;
  assert.ok(atBounds >= batch.size / 5, `${atBounds} of ${batch.size} probabilities at the clip bounds`);
});
