// QR/MD models through `dlrm export` and `dlrm import`: the safetensors file holds the reference modules'
// tensors (QREmbeddingBag weight_q / weight_r, PrEmbeddingBag embs.weight / proj.weight) with the values of
// the checkpoint, and imports back to the same parameters; the ONNX graph (two Gathers + Mul/Add/Concat for
// QR, Gather + MatMul for MD) scores like the engine under onnxruntime-node within 1e-5, on random bags.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Batch } from '../../src/dataset/batch';
import { RandomSource } from '../../src/dataset/randomSource';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';
import { assertOnnxMatchesEngines } from '../export/fixtures';
import type { OnnxInputLayout } from '../../src/export/onnxGraph';

const dir = tempDir('qrmd-export');
before(() => setupLogger({ level: 'warn', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const TABLES = [40, 7, 300];

const cases: { name: string; flags: string[]; tensors: string[]; ops: string[] }[] = [
  // d = 4; 40 > 20 -> ceil(40/3) = 14 and 3 rows; 7 stays plain; 300 -> 100 and 3
  {
    name: 'qr-mult',
    flags: ['--qr-flag', '--qr-threshold', '20', '--qr-collisions', '3'],
    tensors: [
      'emb_l.0.weight_q[14,4]',
      'emb_l.0.weight_r[3,4]',
      'emb_l.1.weight[7,4]',
      'emb_l.2.weight_q[100,4]',
      'emb_l.2.weight_r[3,4]',
    ],
    ops: ['Div', 'Mod', 'Mul'],
  },
  // concat: each half is --arch-sparse-feature-size 2, the bottom MLP ends in 4; the plain table keeps 4
  {
    name: 'qr-concat',
    flags: [
      '--qr-flag',
      '--qr-threshold',
      '20',
      '--qr-collisions',
      '3',
      '--qr-operation',
      'concat',
      '--arch-sparse-feature-size',
      '2',
    ],
    tensors: [
      'emb_l.0.weight_q[14,2]',
      'emb_l.0.weight_r[3,2]',
      'emb_l.1.weight[7,4]',
      'emb_l.2.weight_q[100,2]',
      'emb_l.2.weight_r[3,2]',
    ],
    ops: ['Div', 'Mod', 'Concat'],
  },
  // md_solver, alpha 0.3: the smallest (7) keeps 4; lambda = 4 * 7^0.3 = 7.171; 40 -> 7.171 / 3.022 = 2.37 -> 2; 300 -> 7.171 / 5.535 = 1.30 -> 1
  {
    name: 'md',
    flags: ['--md-flag', '--md-threshold', '20'],
    tensors: [
      'emb_l.0.embs.weight[40,2]',
      'emb_l.0.proj.weight[4,2]',
      'emb_l.1.weight[7,4]',
      'emb_l.2.embs.weight[300,1]',
      'emb_l.2.proj.weight[4,1]',
    ],
    ops: ['MatMul', 'Transpose'],
  },
];

/** Header of a safetensors file (read here, independently of src/export/safetensors.ts). */
function safetensorsEntries(file: string): { name: string; shape: number[]; bytes: Buffer }[] {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { shape: number[]; data_offsets: [number, number] }
  >;
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => ({
      name,
      shape: e.shape,
      bytes: buf.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]),
    }));
}

const paramBits = (file: string): Uint32Array => {
  const { params } = loadInferenceModel(file);
  const parts = [
    ...[...params.bottom, ...params.top].flatMap((l) => [l.weight, l.bias]),
    ...params.tables.flatMap((t) => t.chunks),
    ...(params.compressed ?? []).flatMap((c) =>
      c ? [...c.tables.flatMap((t) => t.chunks), ...(c.projection ? [c.projection] : [])] : [],
    ),
  ];
  return Uint32Array.from(parts.flatMap((p) => Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length))));
};

let batch: Batch | undefined;
before(async () => {
  const source = new RandomSource({
    numDense: 5,
    tableSizes: TABLES,
    rows: 1500,
    seed: 9,
    numIndicesPerLookup: 4,
    numIndicesPerLookupFixed: false,
  });
  for await (const b of source.batches(1500)) batch = b;
});

for (const { name, flags, tensors, ops } of cases) {
  test(`${name}: safetensors under the reference's names round-trips; ONNX scores = engine scores`, async () => {
    const model = path.join(dir, `${name}.ckpt`);
    const t = dlrm(
      'train',
      '--data-generation',
      'random',
      '--arch-embedding-size',
      TABLES.join('-'),
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
      '--learning-rate',
      '0.05',
      '--save-model',
      model,
      '--engine',
      'tfjs',
      '--backend',
      'cpu',
      ...flags,
    );
    assert.equal(t.status, 0, t.stderr);
    const st = path.join(dir, `${name}.safetensors`);
    const e = dlrm('export', '--load-model', model, '--format', 'safetensors', '--out', st);
    assert.equal(e.status, 0, e.stderr);
    const entries = safetensorsEntries(st);
    assert.deepEqual(
      entries.filter((x) => x.name.startsWith('emb_l.')).map((x) => `${x.name}[${x.shape.join(',')}]`),
      tensors,
    );
    // values: the checkpoint's, e.g. the first compressed table
    const m = loadInferenceModel(model);
    const first = m.params.compressed?.[0]?.tables[0].chunks[0] as Float32Array;
    const bytes = entries.find((x) => x.name === tensors[0].split('[')[0])?.bytes as Buffer;
    assert.deepEqual(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), first);
    const imported = path.join(dir, `${name}-imported.ckpt`);
    const i = dlrm('import', '--format', 'safetensors', '--in', st, '--out', imported);
    assert.equal(i.status, 0, i.stderr);
    assert.deepEqual(loadInferenceModel(imported).arch, m.arch);
    assert.deepEqual(paramBits(imported), paramBits(model));
    // ONNX
    const onnxFile = path.join(dir, `${name}.onnx`);
    const o = dlrm('export', '--load-model', model, '--format', 'onnx', '--out', onnxFile);
    assert.equal(o.status, 0, o.stderr);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
    const proto = onnx.ModelProto.decode(fs.readFileSync(onnxFile));
    const opTypes = new Set((proto.graph?.node ?? []).map((nd) => nd.opType));
    for (const op of ops) assert.ok(opTypes.has(op), `the graph has a ${op} node`);
    const layout = JSON.parse(proto.metadataProps.find((p) => p.key === 'dlrm_inputs')?.value ?? '') as OnnxInputLayout;
    await assertOnnxMatchesEngines(model, onnxFile, batch as Batch, layout);
  });
}

test('a QR state_dict whose tensors do not match its dlrm_arch metadata is refused naming them', () => {
  const st = path.join(dir, 'qr-mult.safetensors');
  const buf = fs.readFileSync(st);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  const meta = header.__metadata__ as Record<string, string>;
  const arch = JSON.parse(meta.dlrm_arch) as { compression: { qr: { collisions: number } } };
  arch.compression.qr.collisions = 5; // now the remainder tables should have 5 rows
  meta.dlrm_arch = JSON.stringify(arch);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const bad = path.join(dir, 'bad.safetensors');
  fs.writeFileSync(bad, Buffer.concat([len, json, buf.subarray(8 + n)]));
  const r = dlrm('import', '--format', 'safetensors', '--in', bad, '--out', path.join(dir, 'bad.ckpt'));
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^dlrm: .*bad\.safetensors: the tensors do not match its dlrm_arch metadata \(qr mult c=5 >20\): missing emb_l\.0\.weight_q\[8,4\]/m,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'bad.ckpt')));
});
