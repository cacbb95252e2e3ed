// Tests of `dlrm import --format safetensors` on TorchRec DLRM state_dicts (torchrec/models/dlrm.py
// names, with and without DLRMTrain's `model.` prefix): the imported model scores rows as TorchRec's DLRM
// would, computed here independently (DenseArch MLP with ReLU on every layer, InteractionArch's
// upper-triangle pair order, OverArch MLP + final Linear, sigmoid), and names TorchRec does not have
// or a contradicting interaction flag are refused.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensors } from '../../src/export/safetensors';
import type { NamedTensor } from '../../src/export/stateDict';
import { runImport } from '../../src/export/importSafetensors';
import { loadInferenceModel } from '../../src/predict/inferenceModel';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';
import { referenceForward } from '../model/referenceDlrm';
import { tempDir } from '../helpers/sharedData';

const dir = tempDir('torchrec-import');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const TABLES = [5, 7, 4, 6];
const d = 3;
const BOT = [4, 6, d];
const OVER = [5, 4, 1];
const F = TABLES.length;
const overIn = d + (F * (F + 1)) / 2;
const rng = new Rng(17);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

interface Layer {
  w: Float32Array;
  b: Float32Array;
  out: number;
  in: number;
}
const layer = (inF: number, out: number): Layer => ({ w: rand(out * inF), b: rand(out), out, in: inF });
const tables = TABLES.map((n) => rand(n * d));
const bottom = BOT.slice(1).map((out, i) => layer(BOT[i], out));
const overWidths = [overIn, ...OVER];
const over = OVER.map((out, i) => layer(overWidths[i], out));

function torchrecTensors(prefix: string): NamedTensor[] {
  const lin = (name: string, l: Layer): NamedTensor[] => [
    { name: `${prefix}${name}.weight`, shape: [l.out, l.in], parts: [l.w] },
    { name: `${prefix}${name}.bias`, shape: [l.out], parts: [l.b] },
  ];
  return [
    ...tables.map((t, i) => ({
      name: `${prefix}sparse_arch.embedding_bag_collection.embedding_bags.t_cat_${i}.weight`,
      shape: [TABLES[i], d],
      parts: [t],
    })),
    ...bottom.flatMap((l, k) => lin(`dense_arch.model._mlp.${k}._linear`, l)),
    ...over.slice(0, -1).flatMap((l, k) => lin(`over_arch.model.0._mlp.${k}._linear`, l)),
    ...lin('over_arch.model.1', over[over.length - 1]),
  ];
}

const linear = (x: number[], l: Layer): number[] =>
  Array.from({ length: l.out }, (_, o) => x.reduce((s, v, i) => s + v * l.w[o * l.in + i], l.b[o]));
const relu = (v: number[]): number[] => v.map((x) => Math.max(0, x));

/** TorchRec's DLRM forward for one row, written from torchrec/models/dlrm.py. */
function torchrecForward(dense: number[], idx: number[]): number {
  const x = bottom.reduce((h, l) => relu(linear(h, l)), dense);
  const combined = [x, ...idx.map((r, t) => Array.from(tables[t].subarray(r * d, (r + 1) * d)))];
  const pairs: number[] = [];
  for (let i = 0; i <= F; i++)
    for (let j = i + 1; j <= F; j++) pairs.push(combined[i].reduce((s, v, k) => s + v * combined[j][k], 0));
  let h = [...x, ...pairs];
  over.slice(0, -1).forEach((l) => (h = relu(linear(h, l))));
  const z = linear(h, over[over.length - 1])[0];
  return 1 / (1 + Math.exp(-z));
}

for (const prefix of ['', 'model.']) {
  test(`a TorchRec DLRM state_dict${prefix ? ' saved from DLRMTrain (model.)' : ''} imports and scores as TorchRec's forward`, () => {
    const file = path.join(dir, `tr${prefix}.safetensors`);
    const ckpt = path.join(dir, `tr${prefix}.ckpt`);
    writeSafetensors(file, torchrecTensors(prefix), {});
    const { arch } = runImport({ format: 'safetensors', in: file, out: ckpt, optimizer: 'sgd' });
    assert.deepEqual(
      [arch.interaction, arch.interactionItself, arch.tableSizes, arch.mlpBot, arch.mlpTop],
      ['dot', false, TABLES, BOT, overWidths],
    );
    const m = loadInferenceModel(ckpt);
    const B = 16;
    const dense = Array.from({ length: B * BOT[0] }, () => rng.next() * 3);
    const idx = Array.from({ length: B }, () => TABLES.map((n) => rng.nextInt(n)));
    const pooled: number[] = [];
    for (let b = 0; b < B; b++) idx[b].forEach((r, t) => pooled.push(...tables[t].subarray(r * d, (r + 1) * d)));
    const ours = referenceForward(
      m.arch,
      m.params,
      { loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 },
      dense,
      pooled,
      new Array(B).fill(0),
    ).p;
    for (let b = 0; b < B; b++) {
      const want = torchrecForward(dense.slice(b * BOT[0], (b + 1) * BOT[0]), idx[b]);
      assert.ok(Math.abs(ours[b] - want) < 1e-5, `row ${b}: ${ours[b]} vs TorchRec ${want}`);
    }
  });
}

test('a TorchRec file with a foreign tensor, or imported with --arch-interaction-op cat, is refused naming it', () => {
  const foreign = path.join(dir, 'foreign.safetensors');
  writeSafetensors(
    foreign,
    [...torchrecTensors(''), { name: 'inter_arch.weight', shape: [1], parts: [new Float32Array(1)] }],
    {},
  );
  assert.throws(
    () => runImport({ format: 'safetensors', in: foreign, out: path.join(dir, 'f.ckpt'), optimizer: 'sgd' }),
    (e: unknown) =>
      e instanceof UserError && /tensor inter_arch\.weight is not part of a TorchRec DLRM state_dict/.test(e.message),
  );
  const good = path.join(dir, 'good.safetensors');
  writeSafetensors(good, torchrecTensors(''), {});
  assert.throws(
    () =>
      runImport({
        format: 'safetensors',
        in: good,
        out: path.join(dir, 'c.ckpt'),
        optimizer: 'sgd',
        interactionOp: 'cat',
      }),
    (e: unknown) => e instanceof UserError && /is a TorchRec DLRM, whose interaction is dot/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'f.ckpt')) && !fs.existsSync(path.join(dir, 'c.ckpt')));
});
