// Export of a --model dcn model (the original DCN; multi-hot log, --max-ind-range): `dlrm export --format
// onnx` run by onnxruntime-node scores every row as the engine does within 1e-5 (cross, deep and output
// layers in the graph); `--format safetensors` holds the cross layers as crossnet.{kernels,bias}.<l> [N] and
// the output layer as top_l.<K> [1, N + h] with the checkpoint's bytes; `dlrm import` refuses the file.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCheckpointHeader } from '../../src/model/checkpoint';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { setupLogger } from '../../src/util/log';
import { tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';
import { assertOnnxExportMatchesEngines, exportSafetensors, floatBytes, preprocessLogs, trainModel } from './fixtures';

const dir = tempDir('export-deep-cross');
const merged = path.join(dir, 'logs.dlrm');
const model = path.join(dir, 'dcn.ckpt');

before(async () => {
  setupLogger({ level: 'warn', pretty: false });
  preprocessLogs(dir, merged, 900, 13);
  await trainModel(merged, model, {
    model: 'dcn',
    dcnCrossLayers: 3,
    archMlpBot: [1, 8, 4],
    archMlpTop: [8, 6, 1],
    maxIndRange: 20,
    miniBatchSize: 32,
  });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('model dcn: onnxruntime scores = engine scores within 1e-5 (cross, deep and output layers in the graph)', async () => {
  const names = [0, 1, 2].flatMap((l) => [`crossnet.kernels.${l}`, `crossnet.bias.${l}`]);
  await assertOnnxExportMatchesEngines(model, merged, path.join(dir, 'dcn.onnx'), names);
});

test('model dcn: safetensors names, shapes and bytes; dlrm import refuses it', () => {
  const out = path.join(dir, 'dcn.safetensors');
  const { shape, bytes } = exportSafetensors(model, out);
  const N = 4 * (1 + readCheckpointHeader(model).arch.tableSizes.length);
  assert.deepEqual(
    [
      shape('crossnet.kernels.0'),
      shape('crossnet.bias.2'),
      shape('top_l.0.weight'),
      shape('top_l.2.weight'),
      shape('top_l.4.weight'),
    ],
    [[N], [N], [8, N], [6, 8], [1, N + 6]],
  );
  assert.equal(shape('crossnet.kernels.3'), undefined, 'three cross layers');
  const m = loadInferenceModel(model);
  const b1 = m.params.cross?.[1].bias ?? new Float32Array(0);
  assert.ok(
    b1.some((v) => v !== 0),
    'b_1 trained away from its zero init',
  );
  assert.deepEqual(bytes('crossnet.bias.1'), floatBytes(b1), 'b_1 bytes');
  const ri = dlrm('import', '--format', 'safetensors', '--in', out, '--out', path.join(dir, 'imported.ckpt'));
  assert.equal(ri.status, 2, ri.stderr);
  assert.match(ri.stderr, /^dlrm: .*holds a --model dcn model/m);
  assert.equal(fs.existsSync(path.join(dir, 'imported.ckpt')), false);
});
