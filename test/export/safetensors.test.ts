// `dlrm export --format safetensors` and `dlrm import --format safetensors`, on a model trained on a
// multi-hot schema log with --max-ind-range and --loss-threshold:
//  - an independent reader written here (8-byte little-endian header length, JSON header, dtype/shape/
//    data_offsets) finds exactly the reference DLRM_Net state_dict names in order, contiguous offsets
//    covering the file, the checkpoint's parameter bytes in every tensor, and the metadata;
//  - export -> import gives identical parameter bytes, the same architecture, folding and threshold, and
//    identical engine scores; the imported checkpoint has no progress and fine-tunes from step 0;
//  - a file without metadata, its tensors sorted by name (as safetensors.torch.save_file writes it), imports with the interaction
//    inferred from the top MLP's input width, and flags that contradict the shapes are refused.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import type { DlrmParams } from '../../src/model/params';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';
import { allRows, engineScores, preprocessLogs, trainModel } from './fixtures';

const dir = tempDir('export-safetensors');
const merged = path.join(dir, 'logs.dlrm');
const model = path.join(dir, 'model.ckpt');
const exported = path.join(dir, 'model.safetensors');

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  preprocessLogs(dir, merged, 600, 5);
  await trainModel(merged, model, {
    archMlpBot: [1, 8, 4],
    archMlpTop: [8, 4, 1],
    archInteractionOp: 'dot',
    maxIndRange: 20,
    lossThreshold: 0.01,
    miniBatchSize: 32,
  });
  const r = dlrm('export', '--load-model', model, '--format', 'safetensors', '--out', exported);
  assert.equal(r.status, 0, r.stderr);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The test's own safetensors reader: header JSON and each tensor's bytes. */
function readSafetensors(file: string): {
  headerLength: number;
  metadata: Record<string, string> | undefined;
  names: string[];
  entries: Record<string, Entry>;
  bytes: Record<string, Buffer>;
} {
  const buf = fs.readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
  const { __metadata__: metadata, ...rest } = header;
  const entries = rest as Record<string, Entry>;
  const data = buf.subarray(8 + headerLength);
  const bytes = Object.fromEntries(
    Object.entries(entries).map(([k, e]) => [k, data.subarray(e.data_offsets[0], e.data_offsets[1])]),
  );
  return {
    headerLength,
    metadata: metadata as Record<string, string> | undefined,
    names: Object.keys(entries),
    entries,
    bytes,
  };
}

/** The test's own safetensors writer (tensors in the given order, no padding, optional metadata). */
function writeSafetensors(
  file: string,
  tensors: [string, number[], Buffer][],
  metadata?: Record<string, string>,
): void {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let at = 0;
  for (const [name, shape, b] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [at, at + b.length] };
    at += b.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, ...tensors.map((t) => t[2])]));
}

const f32 = (a: Float32Array[]): Buffer =>
  Buffer.concat(a.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));

/** Every parameter of `p` by its reference name, as bytes (written out here, not with the code under test). */
function paramBytes(p: DlrmParams): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  p.tables.forEach((t, i) => (out[`emb_l.${i}.weight`] = f32(t.chunks)));
  for (const [prefix, layers] of [
    ['bot_l', p.bottom],
    ['top_l', p.top],
  ] as const) {
    layers.forEach((l, i) => {
      out[`${prefix}.${2 * i}.weight`] = f32([l.weight]);
      out[`${prefix}.${2 * i}.bias`] = f32([l.bias]);
    });
  }
  return out;
}

test('the file holds the reference DLRM_Net state_dict: names, order, shapes, offsets, bytes, metadata', () => {
  const m = loadInferenceModel(model);
  const f = readSafetensors(exported);
  assert.equal(f.headerLength % 8, 0, 'the data starts 8-byte aligned');
  assert.deepEqual(f.names, [
    'emb_l.0.weight',
    'emb_l.1.weight',
    'emb_l.2.weight',
    'bot_l.0.weight',
    'bot_l.0.bias',
    'bot_l.2.weight',
    'bot_l.2.bias',
    'top_l.0.weight',
    'top_l.0.bias',
    'top_l.2.weight',
    'top_l.2.bias',
    'top_l.4.weight',
    'top_l.4.bias',
  ]);
  const { arch } = m;
  const d = arch.embeddingDim;
  assert.deepEqual(f.entries['emb_l.1.weight'].shape, [arch.tableSizes[1], d]);
  assert.deepEqual(f.entries['bot_l.2.weight'].shape, [4, 8]);
  assert.deepEqual(f.entries['top_l.0.weight'].shape, [8, arch.mlpTop[0]]);
  assert.deepEqual(f.entries['top_l.4.bias'].shape, [1]);
  let at = 0;
  for (const name of f.names) {
    const e = f.entries[name];
    assert.equal(e.dtype, 'F32');
    assert.equal(e.data_offsets[0], at, `${name} starts where the previous tensor ends`);
    assert.equal(
      e.data_offsets[1] - e.data_offsets[0],
      4 * e.shape.reduce((a, b) => a * b, 1),
      `${name}: bytes = 4 x elements`,
    );
    at = e.data_offsets[1];
  }
  assert.equal(8 + f.headerLength + at, fs.statSync(exported).size, 'the tensors cover the file to its end');
  const want = paramBytes(m.params);
  for (const name of f.names) assert.ok(f.bytes[name].equals(want[name]), `${name}: the checkpoint's bytes`);
  assert.ok(f.metadata, 'the file has __metadata__');
  assert.equal(f.metadata.format, 'pt');
  assert.deepEqual(JSON.parse(f.metadata.dlrm_arch), arch);
  const kwargs = JSON.parse(f.metadata.dlrm_net_kwargs) as Record<string, unknown>;
  assert.deepEqual(kwargs, {
    m_spa: d,
    ln_emb: arch.tableSizes,
    ln_bot: [1, 8, 4],
    ln_top: arch.mlpTop,
    arch_interaction_op: 'dot',
    arch_interaction_itself: false,
    sigmoid_bot: -1,
    sigmoid_top: 2,
    loss_threshold: 0.01,
  });
  assert.equal(f.metadata.dlrm_max_ind_range, '20');
});

test('export -> import: identical parameter bytes, architecture, folding, threshold and scores; fine-tuning starts at step 0', async () => {
  const imported = path.join(dir, 'imported.ckpt');
  const r = dlrm(
    'import',
    '--format',
    'safetensors',
    '--in',
    exported,
    '--out',
    imported,
    '--processed-data-file',
    merged,
  );
  assert.equal(r.status, 0, r.stderr);
  const a = loadInferenceModel(model),
    b = loadInferenceModel(imported);
  assert.deepEqual(b.arch, a.arch);
  assert.equal(b.maxIndRange, 20);
  assert.equal(b.loss.lossThreshold, 0.01);
  const pa = paramBytes(a.params),
    pb = paramBytes(b.params);
  assert.deepEqual(Object.keys(pb), Object.keys(pa));
  for (const k of Object.keys(pa)) assert.ok(pa[k].equals(pb[k]), `${k}: identical bytes`);
  const batch = allRows(merged);
  assert.deepEqual(await engineScores(imported, batch), await engineScores(model, batch));
  assert.deepEqual(readCheckpointHeader(imported).progress, {
    epoch: 0,
    batchInEpoch: 0,
    rowInEpoch: 0,
    globalStep: 0,
  });
  const tuned = path.join(dir, 'tuned.ckpt');
  const t = dlrm(
    'train',
    '--load-model',
    imported,
    '--processed-data-file',
    merged,
    '--num-batches',
    '3',
    '--mini-batch-size',
    '32',
    '--save-model',
    tuned,
    '--engine',
    'tfjs',
    '--backend',
    'cpu',
  );
  assert.equal(t.status, 0, t.stderr);
  assert.equal(readCheckpointHeader(tuned).progress.globalStep, 3);
});

test('a file without metadata: the interaction is inferred from the shapes; contradicting flags are refused', () => {
  const f = readSafetensors(exported);
  const bare = path.join(dir, 'bare.safetensors');
  writeSafetensors(
    bare,
    [...f.names].sort().map((n) => [n, f.entries[n].shape, f.bytes[n]]),
  ); // sorted by name, as safetensors.torch.save_file orders them
  const imported = path.join(dir, 'bare.ckpt');
  const r = dlrm(
    'import',
    '--format',
    'safetensors',
    '--in',
    bare,
    '--out',
    imported,
    '--max-ind-range',
    '20',
    '--loss-threshold',
    '0.01',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /dot/);
  const a = loadInferenceModel(model),
    b = loadInferenceModel(imported);
  assert.deepEqual(b.arch, a.arch);
  const pa = paramBytes(a.params),
    pb = paramBytes(b.params);
  for (const k of Object.keys(pa)) assert.ok(pa[k].equals(pb[k]), `${k}: identical bytes`);
  const wrongCat = dlrm(
    'import',
    '--format',
    'safetensors',
    '--in',
    bare,
    '--out',
    path.join(dir, 'cat.ckpt'),
    '--arch-interaction-op',
    'cat',
  );
  assert.equal(wrongCat.status, 2);
  assert.match(wrongCat.stderr, /^dlrm: .*top MLP takes \d+ inputs but the cat interaction/m);
  const wrongBot = dlrm(
    'import',
    '--format',
    'safetensors',
    '--in',
    bare,
    '--out',
    path.join(dir, 'bot.ckpt'),
    '--arch-mlp-bot',
    '1-16-4',
  );
  assert.equal(wrongBot.status, 2);
  assert.match(wrongBot.stderr, /^dlrm: --arch-mlp-bot 1-16-4: .* holds a bottom MLP 1-8-4$/m);
  assert.ok(!fs.existsSync(path.join(dir, 'cat.ckpt')) && !fs.existsSync(path.join(dir, 'bot.ckpt')));
});
