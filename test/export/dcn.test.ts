// Export of a dcn model (multi-hot schema log, with --max-ind-range): `dlrm export --format onnx` run by
// onnxruntime-node scores every row as the engine does within 1e-5 (the cross network in the graph);
// `--format safetensors` holds the cross layers under TorchRec's LowRankCrossNet names and shapes
// (inter_arch.crossnet.{V_kernels,W_kernels,bias}.<l>) with the checkpoint's bytes, and `dlrm import`
// rebuilds the same dcn model (same architecture, identical engine scores), from the tensors alone too.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';
import {
  allRows,
  assertOnnxExportMatchesEngines,
  engineScores,
  exportSafetensors,
  floatBytes,
  preprocessLogs,
  trainModel,
} from './fixtures';

const dir = tempDir('export-dcn');
const merged = path.join(dir, 'logs.dlrm');
const model = path.join(dir, 'dcn.ckpt');

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  preprocessLogs(dir, merged, 900, 13);
  await trainModel(merged, model, {
    archMlpBot: [1, 8, 4],
    archMlpTop: [8, 1],
    archInteractionOp: 'dcn',
    dcnNumLayers: 2,
    dcnLowRankDim: 3,
    maxIndRange: 20,
    miniBatchSize: 32,
  });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('dcn: onnxruntime scores = engine scores within 1e-5 (bags, folding, the cross network in the graph)', async () => {
  const names = [0, 1].flatMap((l) => ['V_kernels', 'W_kernels', 'bias'].map((k) => `inter_arch.crossnet.${k}.${l}`));
  await assertOnnxExportMatchesEngines(model, merged, path.join(dir, 'dcn.onnx'), names);
});

test('dcn: safetensors under TorchRec cross-layer names; import rebuilds the same model, with and without metadata', async () => {
  const out = path.join(dir, 'dcn.safetensors');
  const { shape, bytes } = exportSafetensors(model, out);
  const N = 4 * (1 + readCheckpointHeader(model).arch.tableSizes.length);
  assert.deepEqual(
    [
      shape('inter_arch.crossnet.V_kernels.0'),
      shape('inter_arch.crossnet.W_kernels.1'),
      shape('inter_arch.crossnet.bias.1'),
    ],
    [[3, N], [N, 3], [N]],
  );
  const m = loadInferenceModel(model);
  const buf = fs.readFileSync(out);
  const dataStart = 8 + Number(buf.readBigUInt64LE(0));
  const w1 = m.params.cross?.[3].weight ?? new Float32Array(0);
  assert.deepEqual(bytes('inter_arch.crossnet.W_kernels.1'), floatBytes(w1), 'W_1 bytes');
  const batch = allRows(merged);
  const want = await engineScores(model, batch);
  for (const variant of ['with', 'without'] as const) {
    let file = out;
    if (variant === 'without') {
      // the same tensors with an empty metadata block: the cross network is recognised from its names
      const json = JSON.parse(buf.subarray(8, dataStart).toString('utf8')) as Record<string, unknown>;
      delete json.__metadata__;
      const head = Buffer.from(JSON.stringify(json));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(head.length));
      file = path.join(dir, 'bare.safetensors');
      fs.writeFileSync(file, Buffer.concat([len, head, buf.subarray(dataStart)]));
    }
    const imported = path.join(dir, `imported-${variant}.ckpt`);
    const args = [
      'import',
      '--format',
      'safetensors',
      '--in',
      file,
      '--out',
      imported,
      ...(variant === 'without' ? ['--max-ind-range', '20'] : []),
    ];
    const ri = dlrm(...args);
    assert.equal(ri.status, 0, ri.stderr);
    assert.deepEqual(readCheckpointHeader(imported).arch.dcn, { numLayers: 2, lowRankDim: 3 });
    assert.deepEqual(await engineScores(imported, batch), want, `${variant} metadata: identical scores`);
  }
});
