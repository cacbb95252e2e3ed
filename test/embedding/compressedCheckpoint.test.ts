// QR/MD models in checkpoints and training: the sections of a compressed feature (table.<t>.<k>,
// table.<t>.proj and their optimizer state) round-trip bit-exactly into another chunking; a stopped and
// resumed QR or MD run ends bit-identical to an uninterrupted one; a checkpoint is refused by a run with
// other compression flags; a plain checkpoint's sections are the same as before compressed embeddings.
import { test, after, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDlrmArch } from '../../src/model/archConfig';
import { initDlrmParams } from '../../src/model/initParams';
import { allocDlrmParams } from '../../src/model/allocParams';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { loadCheckpointInto, readCheckpointHeader, saveCheckpoint } from '../../src/model/checkpoint';
import type { EmbeddingCompression } from '../../src/model/arch';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config';
import { runTraining, type TrainResult } from '../../src/train/train';
import { UserError } from '../../src/util/errors';
import { setupLogger } from '../../src/util/log';
import { Rng } from '../../src/util/random';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { modelFloats } from '../helpers/modelFloats';

const dir = tempDir('qrmd-ckpt');
before(() => setupLogger({ level: 'warn', pretty: false }));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const archOf = (compression?: EmbeddingCompression) =>
  buildDlrmArch({
    mlpBot: [3, 8, 4],
    mlpTop: [6, 1],
    tableSizes: [37, 5, 100],
    interaction: 'dot',
    interactionItself: false,
    compression,
  });

const cases: { name: string; c: EmbeddingCompression; sections: string[] }[] = [
  // 37 > 10 -> ceil(37/3) = 13 and 3 rows; 5 stays plain; 100 -> 34 and 3
  {
    name: 'qr',
    c: { qr: { operation: 'add', collisions: 3, threshold: 10 } },
    sections: ['table.0.0[13x4]', 'table.0.1[3x4]', 'table.1[5x4]', 'table.2.0[34x4]', 'table.2.1[3x4]'],
  },
  // md_solver: smallest 5 keeps 4; lambda = 4 * 5^0.5 = 8.94; 37 -> 1.47 -> 1, 100 -> 0.89 -> 1
  {
    name: 'md',
    c: { md: { temperature: 0.5, threshold: 10, roundDims: false } },
    sections: ['table.0.0[37x1]', 'table.0.proj[4x1]', 'table.1[5x4]', 'table.2.0[100x1]', 'table.2.proj[4x1]'],
  },
];

for (const { name, c, sections } of cases) {
  test(`${name}: a checkpoint holds each compressed table and projection and round-trips bit-exactly`, () => {
    const arch = archOf(c);
    const params = initDlrmParams(arch, 5, 32); // 32-byte chunks: the compressed tables span several
    const state = allocOptimizerState(params, 'adagrad');
    const rng = new Rng(3);
    for (const s of state.compressed ?? [])
      if (s)
        for (const a of [...s.tables.flat(), ...(s.projection ? [s.projection] : [])])
          for (let i = 0; i < a.length; i++) a[i] = rng.next();
    const file = path.join(dir, `${name}.ckpt`);
    saveCheckpoint(
      file,
      {
        engine: 'test',
        arch,
        params,
        optimizerState: state,
        progress: { epoch: 0, batchInEpoch: 1, rowInEpoch: 1, globalStep: 1 },
        trainConfig: {},
        dataState: {},
      },
      'dlrm test',
    );
    const header = readCheckpointHeader(file);
    assert.deepEqual(header.arch.compression, c);
    const names = header.sections.map((s) => `${s.name}[${s.shape.join('x')}]`);
    assert.deepEqual(
      names.filter((n) => n.startsWith('table.')),
      sections,
    );
    assert.ok(names.some((n) => n.startsWith('opt.table.0.0')));
    const back = allocDlrmParams(header.arch); // one chunk per table
    const backState = allocOptimizerState(back, 'adagrad');
    loadCheckpointInto(file, header, back, backState);
    assert.deepEqual(
      new Uint32Array(modelFloats(back, backState).buffer),
      new Uint32Array(modelFloats(params, state).buffer),
    );
    // the same file does not load into a plain model of the same sizes
    const plain = allocDlrmParams(archOf());
    assert.throws(() => loadCheckpointInto(file, header, plain, allocOptimizerState(plain, 'adagrad')), UserError);
  });
}

test('a plain model keeps the sections it always had (table.<t>, opt.table.<t>)', () => {
  const arch = archOf();
  const params = initDlrmParams(arch, 5);
  const file = path.join(dir, 'plain.ckpt');
  saveCheckpoint(
    file,
    {
      engine: 'test',
      arch,
      params,
      optimizerState: allocOptimizerState(params, 'rowwise-adagrad'),
      progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
      trainConfig: {},
      dataState: {},
    },
    'dlrm test',
  );
  const header = readCheckpointHeader(file);
  assert.equal(header.arch.compression, undefined);
  assert.deepEqual(
    header.sections.filter((s) => s.name.includes('table')).map((s) => s.name),
    ['table.0', 'table.1', 'table.2', 'opt.table.0', 'opt.table.1', 'opt.table.2'],
  );
});

function smoke(over: Partial<TrainConfig>): TrainConfig {
  return resolveTrainConfig(
    { dataSize: 2048, printFreq: 1000, nepochs: 2, ...over },
    path.join(repoRoot(), 'configs', 'smoke.json'),
  );
}
const bits = (r: TrainResult) => new Uint32Array(modelFloats(r.model.params, r.model.optimizerState).buffer);

const resumeCases: { name: string; over: Partial<TrainConfig> }[] = [
  { name: 'qr mult, adagrad', over: { qrFlag: true, qrThreshold: 20, qrCollisions: 4 } },
  { name: 'md, rowwise-adagrad', over: { mdFlag: true, mdThreshold: 20, optimizer: 'rowwise-adagrad' } },
];

for (const { name, over } of resumeCases) {
  test(`exact resume (${name}): stop at step 21 + load + finish == one uninterrupted run, bitwise`, async () => {
    const whole = await runTraining(smoke({ ...over, saveModel: path.join(dir, `whole-${name}.ckpt`) }));
    assert.equal(whole.globalStep, 32);
    assert.ok(whole.model.params.compressed?.some(Boolean), 'the model has compressed features');
    const file = path.join(dir, `part-${name}.ckpt`);
    const first = await runTraining(smoke({ ...over, saveModel: file }), { shouldStop: (p) => p.globalStep === 21 });
    assert.equal(first.stopped, true);
    // --load-model alone brings the compression flags back from the checkpoint's saved config
    const rest = await runTraining(resolveTrainConfig({ loadModel: file, saveModel: file }));
    assert.equal(rest.globalStep, 32);
    assert.deepEqual(bits(rest), bits(whole));
    assert.equal(rest.metrics?.auc, whole.metrics?.auc);
  });
}

test('a run with other compression flags refuses the checkpoint, naming them', async () => {
  const file = path.join(dir, 'part-qr mult, adagrad.ckpt');
  await assert.rejects(
    runTraining(resolveTrainConfig({ loadModel: file, qrFlag: false, nepochs: 3 })),
    (e: unknown) =>
      e instanceof UserError &&
      /embeddings qr mult c=4 >20 in the checkpoint, plain here \(--qr-\*, --md-\*\)/.test(e.message),
  );
});
