// Test fixtures for `dlrm export`: train a small model on a processed file (any architecture), score rows
// with the engines (tfjs, and native when built) exactly as `dlrm predict` feeds them (the training run's --max-ind-range folding, the
// constant dense input of data without dense features), and score the same rows with onnxruntime-node
// from the exported file, fed the graph's documented inputs (unfolded post-vocabulary indices).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Batch } from '../../src/dataset/batch';
import { sliceBatch } from '../../src/dataset/batchRows';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { OnnxInputLayout } from '../../src/export/onnxGraph';
import { readSafetensorsHeader } from '../../src/export/safetensors';
import type { EngineOptions } from '../../src/engine/createEngine';
import { createInferenceEngine, loadInferenceModel } from '../../src/predict/inferenceModel';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining } from '../../src/train/train';
import { nativeAddon } from '../engine/nativeAddonForTests';
import { dlrm, LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';

/** `dlrm preprocess --schema` of `rows` generated log rows (LOG_SCHEMA, seed `seed`) into `merged`, in `dir`. */
export function preprocessLogs(dir: string, merged: string, rows: number, seed: number): void {
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(logRows(rows, seed)));
  const schema = writeJson(path.join(dir, 'schema.json'), LOG_SCHEMA);
  const pre = dlrm('preprocess', '--schema', schema, '--raw-data-file', raw, '--processed-data-file', merged);
  assert.equal(pre.status, 0, pre.stderr);
}

/** Trains 20 batches on `merged` with `arch` (architecture and folding flags) and saves `model`. */
export async function trainModel(merged: string, model: string, arch: Partial<TrainConfig>): Promise<void> {
  await runTraining(
    resolveTrainConfig({
      processedDataFile: merged,
      numBatches: 20,
      miniBatchSize: 128,
      learningRate: 0.2,
      printFreq: 1000,
      saveModel: model,
      engine: 'tfjs',
      backend: 'cpu',
      ...arch,
    }),
  );
}

/** Every row of a processed file, as stored (post-vocabulary indices, not folded). */
export function allRows(merged: string): Batch {
  const reader = ProcessedFileReader.open(merged);
  try {
    return reader.read(0, reader.rows);
  } finally {
    reader.close();
  }
}

/** The engines a test compares against: tfjs on the CPU always, the native engine when its addon is built. */
export const ENGINES: readonly EngineOptions[] = [
  { engine: 'tfjs', backend: 'cpu' },
  ...(nativeAddon ? [{ engine: 'native' } as const] : []),
];

/** An engine's probabilities for `batch` (default: tfjs on the CPU), fed as dlrm predict feeds it. */
export async function engineScores(
  model: string,
  batch: Batch,
  options: EngineOptions = ENGINES[0],
): Promise<Float32Array> {
  const m = loadInferenceModel(model);
  const M = m.maxIndRange;
  const fed: Batch = {
    ...batch,
    sparse:
      M > 0
        ? batch.sparse.map((bag) => ({ offsets: bag.offsets, indices: bag.indices.map((i) => i % M) }))
        : batch.sparse,
    ...(batch.numDense === 0 ? { numDense: 1, dense: new Float32Array(batch.size).fill(1) } : {}),
  };
  const engine = await createInferenceEngine(m, options);
  try {
    return await engine.predict(fed);
  } finally {
    engine.dispose();
  }
}

/**
 * onnxruntime's probabilities for `batch` from `onnxFile`, asserted equal within `tolerance` to every engine's
 * (ENGINES) on the same rows, which must vary (the comparison is not between constants). Returns onnxruntime's.
 */
export async function assertOnnxMatchesEngines(
  model: string,
  onnxFile: string,
  batch: Batch,
  layout: OnnxInputLayout,
  tolerance = 1e-5,
): Promise<Float32Array> {
  const got = await onnxScores(onnxFile, batch, layout);
  for (const options of ENGINES) {
    const want = await engineScores(model, batch, options);
    const diff = maxAbsDiff(got, want);
    assert.ok(diff <= tolerance, `max |onnx - ${options.engine} engine| = ${diff} over ${batch.size} rows`);
    console.log(
      `${path.basename(onnxFile)}: max |onnx - ${options.engine} engine| = ${diff.toExponential(2)} over ${batch.size} rows`,
    );
    assert.ok(new Set(want).size > 10, 'the model gives varied scores (the comparison is not between constants)');
  }
  return got;
}

/** The ONNX inputs for `batch` in `layout`: one index per row (checked) or indices + PyTorch offsets [N]. */
export function onnxFeeds(batch: Batch, layout: OnnxInputLayout): Record<string, ort.Tensor> {
  const B = batch.size;
  const feeds: Record<string, ort.Tensor> = {};
  if (layout.denseInput) feeds.dense = new ort.Tensor('float32', batch.dense, [B, batch.numDense]);
  batch.sparse.forEach((bag, t) => {
    const int64 = (a: ArrayLike<number>) => BigInt64Array.from(Array.from(a, BigInt));
    if (layout.bags[t]) {
      feeds[`indices_${t}`] = new ort.Tensor('int64', int64(bag.indices), [bag.indices.length]);
      feeds[`offsets_${t}`] = new ort.Tensor('int64', int64(bag.offsets.subarray(0, B)), [B]);
    } else {
      if (bag.indices.length !== B)
        throw new Error(
          `table ${t} is one-hot in the layout but its bags hold ${bag.indices.length} indices for ${B} rows`,
        );
      feeds[`indices_${t}`] = new ort.Tensor('int64', int64(bag.indices), [B]);
    }
  });
  return feeds;
}

/** onnxruntime's probabilities for `batch` from the ONNX file, `chunk` rows per run. */
export async function onnxScores(
  file: string,
  batch: Batch,
  layout: OnnxInputLayout,
  chunk = 4096,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  try {
    const out = new Float32Array(batch.size);
    for (let a = 0; a < batch.size; a += chunk) {
      const part = sliceBatch(batch, a, Math.min(batch.size, a + chunk));
      const r = await session.run(onnxFeeds(part, layout));
      const p = r.probability;
      if (p.dims.length !== 2 || p.dims[0] !== part.size || p.dims[1] !== 1)
        throw new Error(`probability has shape [${p.dims.join(', ')}], expected [${part.size}, 1]`);
      out.set(p.data as Float32Array, a);
    }
    return out;
  } finally {
    await session.release();
  }
}

/** The largest |a_i - b_i| (Infinity when the lengths differ or a value is not finite). */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}

/**
 * `dlrm export --format onnx` of `model` to `out`: every name of `initializers` is in the graph, and
 * onnxruntime scores every row of `merged` as the engine does within 1e-5 (with varied scores).
 */
export async function assertOnnxExportMatchesEngines(
  model: string,
  merged: string,
  out: string,
  initializers: string[],
): Promise<void> {
  const r = dlrm('export', '--load-model', model, '--format', 'onnx', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
  const proto = onnx.ModelProto.decode(fs.readFileSync(out));
  const layout = JSON.parse(proto.metadataProps.find((p) => p.key === 'dlrm_inputs')?.value ?? '') as OnnxInputLayout;
  const names = (proto.graph?.initializer ?? []).map((t) => t.name);
  for (const name of initializers) assert.ok(names.includes(name), `${name} in the graph`);
  await assertOnnxMatchesEngines(model, out, allRows(merged), layout);
}

/** `dlrm export --format safetensors` of `model` into `out`; its header, a tensor's shape and its bytes by name. */
export function exportSafetensors(
  model: string,
  out: string,
): {
  header: ReturnType<typeof readSafetensorsHeader>;
  shape: (name: string) => number[] | undefined;
  bytes: (name: string) => Uint8Array;
} {
  const r = dlrm('export', '--load-model', model, '--format', 'safetensors', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const header = readSafetensorsHeader(out);
  const file = fs.readFileSync(out);
  const tensor = (name: string) => header.tensors.find((t) => t.name === name);
  return {
    header,
    shape: (name) => tensor(name)?.shape,
    bytes: (name) => {
      const t = tensor(name);
      assert.ok(t, `${name} in the file`);
      return new Uint8Array(file.subarray(t.start, t.start + t.byteLength));
    },
  };
}

/** The bytes of a float32 array, for comparing with a file's. */
export function floatBytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
