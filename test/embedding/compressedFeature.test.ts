// QR (mult, add, concat) and MD embeddings: the host forward against a direct formula, the backward against
// central finite differences of L = sum(G * out) for every parameter of the feature (tables and projection),
// and, through both engines, the loss's finite differences against an SGD step, native vs tfjs agreement of
// loss, pooled gradients, predictions and the parameters and Adagrad state after a step.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Batch, BagInput } from '../../src/dataset/batch';
import { CompressedFeature, type CompressedLayout } from '../../src/embedding/compressedFeature';
import { featureEmbeddings } from '../../src/embedding/compressedLayout';
import type { EngineConfig } from '../../src/engine/engine';
import { NativeEngine } from '../../src/engine/native/nativeEngine';
import { TfjsEngine } from '../../src/engine/tfjs/tfjsEngine';
import type { EmbeddingCompression, OptimizerName } from '../../src/model/arch';
import { buildDlrmArch } from '../../src/model/archConfig';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { initDlrmParams } from '../../src/model/initParams';
import type { CompressedFeatureParams, DlrmParams } from '../../src/model/params';
import type { OptimizerState } from '../../src/model/optimizerState';
import { Rng } from '../../src/util/random';
import { nativeAddon, nativeSkip } from '../engine/nativeAddonForTests';
import { relativeError } from '../engine/nativeReference';

const SIZES = [300, 1000, 50];
const COMPRESSIONS: { name: string; c: EmbeddingCompression; bot: number[] }[] = [
  { name: 'qr mult', c: { qr: { operation: 'mult', collisions: 7, threshold: 100 } }, bot: [4, 8, 8] },
  { name: 'qr add', c: { qr: { operation: 'add', collisions: 7, threshold: 100 } }, bot: [4, 8, 8] },
  { name: 'qr concat', c: { qr: { operation: 'concat', collisions: 7, threshold: 100 } }, bot: [4, 8, 8] },
  // dims: the smallest table (50) keeps 8; lambda = 8 * 50^0.5 = 56.57; 300 -> 3.27 -> 3, 1000 -> 1.79 -> 2 (with projections)
  { name: 'md', c: { md: { temperature: 0.5, threshold: 100, roundDims: false } }, bot: [4, 8, 8] },
];

const archOf = (c: EmbeddingCompression, bot: number[]) =>
  buildDlrmArch({
    mlpBot: bot,
    mlpTop: [8, 1],
    tableSizes: SIZES,
    interaction: 'dot',
    interactionItself: false,
    compression: c,
  });

function randomBag(rows: number, B: number, rng: Rng, maxBag = 3): BagInput {
  const offsets = new Uint32Array(B + 1),
    idx: number[] = [];
  for (let b = 0; b < B; b++) {
    const k = rng.nextInt(maxBag + 1);
    for (let j = 0; j < k; j++) idx.push(rng.nextInt(rows));
    offsets[b + 1] = idx.length;
  }
  return { offsets, indices: Uint32Array.from(idx) };
}

function randomBatch(B: number, seed: number): Batch {
  const rng = new Rng(seed);
  return {
    size: B,
    numDense: 4,
    dense: Float32Array.from({ length: B * 4 }, () => rng.next() * 2),
    labels: Float32Array.from({ length: B }, () => rng.nextInt(2)),
    sparse: SIZES.map((n) => randomBag(n, B, rng)),
  };
}

/** Small random values in every compressed parameter (the reference's QR init is all positive). */
function jitter(params: DlrmParams, seed: number): void {
  const rng = new Rng(seed);
  for (const c of params.compressed ?? []) {
    if (!c) continue;
    for (const t of c.tables) for (const ch of t.chunks) for (let i = 0; i < ch.length; i++) ch[i] = rng.next() - 0.5;
    if (c.projection) for (let i = 0; i < c.projection.length; i++) c.projection[i] = rng.next() - 0.5;
  }
}

/** Every float of a compressed feature, as views (tables' chunks then the projection). */
const floatsOf = (c: CompressedFeatureParams): Float32Array[] => [
  ...c.tables.flatMap((t) => t.chunks),
  ...(c.projection ? [c.projection] : []),
];

function cloneCompressed(c: CompressedFeatureParams): CompressedFeatureParams {
  return {
    tables: c.tables.map((t) => ({ ...t, chunks: t.chunks.map((x) => x.slice()) })),
    ...(c.projection ? { projection: c.projection.slice() } : {}),
  };
}

function cloneModel(p: DlrmParams, s: OptimizerState): { params: DlrmParams; state: OptimizerState } {
  const lin = (ls: DlrmParams['bottom']) => ls.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() }));
  const slin = (ls: OptimizerState['bottom']) => ls.map((l) => ({ weight: l.weight.slice(), bias: l.bias.slice() }));
  return {
    params: {
      bottom: lin(p.bottom),
      top: lin(p.top),
      tables: p.tables.map((t) => ({ ...t, chunks: t.chunks.map((c) => c.slice()) })),
      compressed: p.compressed?.map((c) => c && cloneCompressed(c)),
    },
    state: {
      name: s.name,
      bottom: slin(s.bottom),
      top: slin(s.top),
      tables: s.tables.map((t) => t.map((c) => c.slice())),
      compressed: s.compressed?.map(
        (c) =>
          c && {
            tables: c.tables.map((t) => t.map((x) => x.slice())),
            ...(c.projection ? { projection: c.projection.slice() } : {}),
          },
      ),
    },
  };
}

for (const { name, c, bot } of COMPRESSIONS) {
  test(`${name}: forward is the formula over the pooled tables; backward matches finite differences of every parameter`, () => {
    const arch = archOf(c, bot);
    const params = initDlrmParams(arch, 5, 8 * 4 * 8); // 8-row chunks: the QR/MD tables span several
    jitter(params, 6);
    const layouts = featureEmbeddings(arch);
    const t = 1; // the 1000-row feature
    const layout = layouts[t] as CompressedLayout;
    const cp = params.compressed?.[t] as CompressedFeatureParams;
    const B = 9,
      d = arch.embeddingDim,
      rng = new Rng(7);
    const bag = randomBag(SIZES[t], B, rng);
    const G = Float32Array.from({ length: B * d }, () => rng.next() - 0.5);
    const lossOf = (p: CompressedFeatureParams): number => {
      const out = new Float32Array(B * d);
      new CompressedFeature(layout, p, 'sgd', undefined, t).forward(bag, out, d, 0);
      let s = 0;
      for (let i = 0; i < out.length; i++) s += G[i] * out[i];
      return s;
    };
    // forward by the definition, row by row
    const out = new Float32Array(B * d);
    new CompressedFeature(layout, cp, 'sgd', undefined, t).forward(bag, out, d, 0);
    const row = (tab: CompressedFeatureParams['tables'][number], r: number) => {
      const k = Math.floor(r / tab.chunkRows);
      return tab.chunks[k].subarray((r - k * tab.chunkRows) * tab.dim, (r - k * tab.chunkRows + 1) * tab.dim);
    };
    for (let b = 0; b < B; b++) {
      const want = new Float64Array(d);
      const e = layout.dim;
      const sum = (tab: CompressedFeatureParams['tables'][number], f: (i: number) => number) => {
        const s = new Float64Array(e);
        for (let p = bag.offsets[b]; p < bag.offsets[b + 1]; p++)
          row(tab, f(bag.indices[p])).forEach((v, k) => (s[k] += v));
        return s;
      };
      if (layout.kind === 'qr') {
        const pq = sum(cp.tables[0], (i) => Math.floor(i / 7)),
          pr = sum(cp.tables[1], (i) => i % 7);
        for (let k = 0; k < e; k++) {
          if (layout.operation === 'mult') want[k] = pq[k] * pr[k];
          else if (layout.operation === 'add') want[k] = pq[k] + pr[k];
          else [want[k], want[k + e]] = [pq[k], pr[k]];
        }
      } else {
        const p = sum(cp.tables[0], (i) => i),
          P = cp.projection as Float32Array;
        for (let j = 0; j < d; j++) for (let k = 0; k < e; k++) want[j] += P[j * e + k] * p[k];
      }
      for (let k = 0; k < d; k++)
        assert.ok(Math.abs(out[b * d + k] - want[k]) < 1e-5, `row ${b} element ${k}: ${out[b * d + k]} vs ${want[k]}`);
    }
    // analytic gradient: an SGD step with lr 1 on a copy moves each parameter by -dL/dw
    const stepped = cloneCompressed(cp);
    const f = new CompressedFeature(layout, stepped, 'sgd', undefined, t);
    f.forward(bag, new Float32Array(B * d), d, 0);
    f.update(G, d, 0, 1);
    const before = floatsOf(cp),
      after = floatsOf(stepped);
    let checked = 0;
    before.forEach((arr, a) => {
      for (let i = 0; i < arr.length; i++) {
        const analytic = arr[i] - after[a][i];
        const h = 0.25,
          keep = arr[i];
        arr[i] = keep + h;
        const up = lossOf(cp);
        arr[i] = keep - h;
        const down = lossOf(cp);
        arr[i] = keep;
        const numeric = (up - down) / (2 * h);
        assert.ok(
          Math.abs(numeric - analytic) <= 1e-4 + 1e-3 * Math.abs(numeric),
          `${name} array ${a} element ${i}: numeric ${numeric} analytic ${analytic}`,
        );
        if (numeric !== 0) checked++;
      }
    });
    assert.ok(checked > 20, `only ${checked} non-zero gradients checked`);
  });
}

const engineConfigOf = (c: EmbeddingCompression, bot: number[], optimizer: OptimizerName): EngineConfig => ({
  arch: archOf(c, bot),
  optimizer,
  loss: 'bce',
  lossWeights: [1, 1],
  lossThreshold: 0,
});

function modelOf(cfg: EngineConfig): { params: DlrmParams; state: OptimizerState } {
  const params = initDlrmParams(cfg.arch, 11, 8 * 4 * 8);
  jitter(params, 12);
  return { params, state: allocOptimizerState(params, cfg.optimizer) };
}

for (const { name, c, bot } of COMPRESSIONS) {
  test(
    `${name}: both engines' loss has the finite differences of an SGD step in the compressed parameters`,
    { skip: nativeSkip },
    async () => {
      const cfg = engineConfigOf(c, bot, 'sgd');
      const batch = randomBatch(24, 13);
      for (const make of ['native', 'tfjs'] as const) {
        const { params, state } = modelOf(cfg);
        const build = async (p: DlrmParams, s: OptimizerState) =>
          make === 'native'
            ? new NativeEngine(cfg, p, s, { addon: nativeAddon })
            : await TfjsEngine.create(cfg, p, s, 'wasm');
        const probe = await build(params, state);
        const copy = cloneModel(params, state);
        const stepper = await build(copy.params, copy.state);
        const lr = 0.5;
        await stepper.trainStep(batch, lr);
        // per compressed feature and array (table(s), projection): the element with the largest step
        const checks: { arr: Float32Array; i: number; analytic: number; what: string }[] = [];
        for (const t of [0, 1]) {
          const before = floatsOf(params.compressed?.[t] as CompressedFeatureParams),
            after = floatsOf(copy.params.compressed?.[t] as CompressedFeatureParams);
          // (chunks no bag of the batch touches have no gradient: skipped)
          before.forEach((arr, a) => {
            let best = 0;
            for (let i = 0; i < arr.length; i++)
              if (Math.abs(arr[i] - after[a][i]) > Math.abs(arr[best] - after[a][best])) best = i;
            const analytic = (arr[best] - after[a][best]) / lr;
            if (Math.abs(analytic) > 1e-4)
              checks.push({ arr, i: best, analytic, what: `${make} feature ${t} array ${a}` });
          });
        }
        // every table of both features, and each MD projection
        assert.ok(checks.length >= 4, `only ${checks.length} parameters with a gradient`);
        if (c.md)
          assert.ok(
            checks.some((k) => k.arr === params.compressed?.[1]?.projection),
            'the projection is checked',
          );
        // central differences of the float32 loss (h small enough that no top-MLP ReLU flips)
        for (const { arr, i, analytic, what } of checks) {
          const h = 2e-3,
            keep = arr[i];
          arr[i] = keep + h;
          const up = (await probe.gradients(batch)).loss;
          arr[i] = keep - h;
          const down = (await probe.gradients(batch)).loss;
          arr[i] = keep;
          const numeric = (up - down) / (2 * h);
          assert.ok(
            Math.abs(numeric - analytic) <= 1e-4 + 0.03 * Math.abs(analytic),
            `${what}: numeric ${numeric} analytic ${analytic}`,
          );
        }
        if (stepper instanceof TfjsEngine) stepper.dispose();
        probe.dispose();
      }
    },
  );

  test(
    `${name}: native and tfjs agree on the loss, pooled gradients, predictions and an Adagrad step`,
    { skip: nativeSkip },
    async () => {
      const cfg = engineConfigOf(c, bot, 'adagrad');
      const batch = randomBatch(40, 21);
      const a = modelOf(cfg),
        b = cloneModel(a.params, a.state);
      const native = new NativeEngine(cfg, a.params, a.state, { addon: nativeAddon });
      const tfjs = await TfjsEngine.create(cfg, b.params, b.state, 'wasm');
      const [gn, gt] = [await native.gradients(batch), await tfjs.gradients(batch)];
      assert.ok(Math.abs(gn.loss - gt.loss) <= 1e-5 * gt.loss, `loss ${gn.loss} vs ${gt.loss}`);
      gn.grads.pooled.forEach((g, t) => assert.ok(relativeError(g, gt.grads.pooled[t]) < 1e-4, `pooled ${t}`));
      for (let step = 0; step < 3; step++) {
        const [sn, st] = [await native.trainStep(batch, 0.05), await tfjs.trainStep(batch, 0.05)];
        assert.ok(relativeError(sn.predictions, st.predictions) < 1e-4, `predictions, step ${step}`);
      }
      await tfjs.syncToHost();
      for (const t of [0, 1]) {
        const pn = floatsOf(a.params.compressed?.[t] as CompressedFeatureParams),
          pt = floatsOf(b.params.compressed?.[t] as CompressedFeatureParams);
        pn.forEach((x, i) => assert.ok(relativeError(x, pt[i]) < 1e-4, `feature ${t} array ${i}`));
        const sn = a.state.compressed?.[t],
          st = b.state.compressed?.[t];
        assert.ok(sn && st);
        sn.tables.forEach((chunks, k) =>
          chunks.forEach((x, j) =>
            assert.ok(relativeError(x, st.tables[k][j]) < 1e-4, `feature ${t} table ${k} accumulator chunk ${j}`),
          ),
        );
        if (sn.projection)
          assert.ok(
            relativeError(sn.projection, st.projection as Float32Array) < 1e-4 && sn.projection.some((v) => v > 0),
            'projection accumulator',
          );
      }
      // the plain feature moved too
      assert.ok(relativeError(a.params.tables[2].chunks[0], b.params.tables[2].chunks[0]) < 1e-4);
      tfjs.dispose();
    },
  );
}
