// Table sizes and dims of QR/MD embeddings for the Criteo Kaggle counts, against values worked out by
// hand from the reference's formulas (dlrm_s_pytorch.py create_emb, tricks/qr_embedding_bag.py,
// tricks/md_embedding_bag.py md_solver), and the flag checks.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { embeddingMemory, featureEmbeddings, featureParamCount, mdSolver } from '../../src/embedding/compressedLayout';
import { ProcessedFileReader } from '../../src/dataset/processedFile';
import type { Manifest } from '../../src/dataset/manifest';
import { runPreprocess } from '../../src/preprocess/pipeline';
import { sharedCriteoFile, tempDir } from '../helpers/sharedData';
import { dlrm } from '../schema/fixtures';
import { buildDlrmArch } from '../../src/model/archConfig';
import type { EmbeddingCompression } from '../../src/model/arch';
import { UserError } from '../../src/util/errors';
import { KAGGLE_COUNTS } from '../../scripts/kaggleCounts';
import { preprocessConfig } from '../../src/preprocess/preprocessConfig';

const shared = sharedCriteoFile('kaggle-sample.txt');
const sample = 'skip' in shared ? { skip: shared.skip, path: undefined } : { skip: false, path: shared.path };

const archOf = (compression: EmbeddingCompression | undefined, mlpBot = [13, 512, 256, 64, 16]) =>
  buildDlrmArch({
    mlpBot,
    mlpTop: [512, 256, 1],
    tableSizes: KAGGLE_COUNTS,
    interaction: 'dot',
    interactionItself: false,
    compression,
  });

test('QR mult, c = 4, threshold 200: tables over 200 rows become [ceil(n/4), 16] + [4, 16]', () => {
  const f = featureEmbeddings(archOf({ qr: { operation: 'mult', collisions: 4, threshold: 200 } }));
  // the reference: num_embeddings = [int(np.ceil(n / c)), c]; n > qr_threshold only
  //   1460/4 = 365; 583/4 = 145.75 -> 146; 10131227/4 = 2532806.75 -> 2532807; 2202608/4 = 550652;
  //   305/4 = 76.25 -> 77; 12517/4 = 3129.25 -> 3130; 633/4 = 158.25 -> 159; 93145/4 = 23286.25 -> 23287;
  //   5683/4 = 1420.75 -> 1421; 8351593/4 = 2087898.25 -> 2087899; 3194/4 = 798.5 -> 799; 14992/4 = 3748;
  //   5461306/4 = 1365326.5 -> 1365327; 5652/4 = 1413; 2173/4 = 543.25 -> 544; 7046547/4 = 1761636.75 -> 1761637;
  //   286181/4 = 71545.25 -> 71546; 142572/4 = 35643. At or under 200 (24, 3, 27, 10, 4, 18, 15, 105): plain.
  const q = [
    365, 146, 2532807, 550652, 77, 0, 3130, 159, 0, 23287, 1421, 2087899, 799, 0, 3748, 1365327, 0, 1413, 544, 0,
    1761637, 0, 0, 71546, 0, 35643,
  ];
  f.forEach((e, t) => {
    if (q[t] === 0) assert.deepEqual(e, { kind: 'plain', rows: KAGGLE_COUNTS[t], dim: 16 }, `table ${t}`);
    else
      assert.deepEqual(
        e,
        { kind: 'qr', categories: KAGGLE_COUNTS[t], operation: 'mult', collisions: 4, qRows: q[t], rRows: 4, dim: 16 },
        `table ${t}`,
      );
  });
  // parameters: the 18 split tables hold (sum of q + 18*4) rows of 16, the 8 plain ones 24+3+27+10+4+18+15+105 = 206 rows
  const qSum = q.reduce((a, b) => a + b, 0);
  assert.equal(qSum, 8440600);
  assert.equal(
    f.reduce((a, e) => a + featureParamCount(e), 0),
    (qSum + 18 * 4 + 206) * 16,
  );
});

test('QR concat: each half is d/2 wide (the bottom MLP ends in twice --arch-sparse-feature-size); small tables stay at d', () => {
  const arch = buildDlrmArch({
    mlpBot: [13, 64, 32],
    mlpTop: [1],
    sparseFeatureSize: 16,
    tableSizes: [1000, 50],
    interaction: 'dot',
    interactionItself: false,
    compression: { qr: { operation: 'concat', collisions: 3, threshold: 200 } },
  });
  assert.equal(arch.embeddingDim, 32);
  // ceil(1000/3) = 333.33 -> 334 rows of 16 and 3 rows of 16; 50 <= 200 stays [50, 32]
  assert.deepEqual(featureEmbeddings(arch), [
    { kind: 'qr', categories: 1000, operation: 'concat', collisions: 3, qRows: 334, rRows: 3, dim: 16 },
    { kind: 'plain', rows: 50, dim: 32 },
  ]);
  assert.throws(
    () =>
      buildDlrmArch({
        mlpBot: [13, 32],
        mlpTop: [1],
        sparseFeatureSize: 32,
        tableSizes: [10],
        interaction: 'dot',
        interactionItself: false,
        compression: { qr: { operation: 'concat', collisions: 2, threshold: 0 } },
      }),
    (e: unknown) => e instanceof UserError && /twice --arch-sparse-feature-size 32/.test(e.message),
  );
});

test('MD, alpha 0.3, d0 16: md_solver dims for the Kaggle counts, by hand', () => {
  // sorted ascending the smallest table is n = 3, so lambda = 16 * 3^0.3 = 22.2462; d_i = round(max(1, lambda * n_i^-0.3))
  //   1460: 22.2462 / 1460^0.3 = 22.2462 / 8.8985 = 2.50006 -> 3 (just over the half)   583: 3.293 -> 3
  //   10131227: 0.176 -> clamped to 1   2202608: 0.278 -> 1   305: 3.9991 -> 4   24: 8.574 -> 9   12517: 1.312 -> 1
  //   633: 3.212 -> 3   3: d0 = 16   93145: 0.719 -> 1   5683: 1.663 -> 2   8351593: 0.187 -> 1   3194: 1.977 -> 2
  //   27: 8.277 -> 8   14992: 1.243 -> 1   5461306: 0.212 -> 1   10: 11.15 -> 11   5652: 1.666 -> 2   2173: 2.219 -> 2
  //   4: 14.677 -> 15   7046547: 0.196 -> 1   18: 9.347 -> 9   15: 9.873 -> 10   286181: 0.513 -> 1   105: 5.507 -> 6
  //   142572: 0.632 -> 1
  const dims = [3, 3, 1, 1, 4, 9, 1, 3, 16, 1, 2, 1, 2, 8, 1, 1, 11, 2, 2, 15, 1, 9, 10, 1, 6, 1];
  assert.deepEqual(mdSolver(KAGGLE_COUNTS, 0.3, 16, false), dims);
  // --md-round-dims: 2^round(log2 d): 3 -> 2^1.58 -> 4, 9 -> 2^3.17 -> 8, 11 -> 2^3.46 -> 8, 15 -> 2^3.91 -> 16,
  // 10 -> 2^3.32 -> 8, 6 -> 2^2.58 -> 8, 2 -> 2, 1 -> 1
  assert.deepEqual(
    mdSolver(KAGGLE_COUNTS, 0.3, 16, true),
    [4, 4, 1, 1, 4, 8, 1, 4, 16, 1, 2, 1, 2, 8, 1, 1, 8, 2, 2, 16, 1, 8, 8, 1, 8, 1],
  );
  const f = featureEmbeddings(archOf({ md: { temperature: 0.3, threshold: 200, roundDims: false } }));
  f.forEach((e, t) => {
    if (KAGGLE_COUNTS[t] <= 200) assert.deepEqual(e, { kind: 'plain', rows: KAGGLE_COUNTS[t], dim: 16 }, `table ${t}`);
    else assert.deepEqual(e, { kind: 'md', rows: KAGGLE_COUNTS[t], dim: dims[t], baseDim: 16 }, `table ${t}`);
  });
  // table 2 (10131227 rows) keeps 10131227 x 1 floats and a 16 x 1 projection
  assert.equal(featureParamCount(f[2]), 10131227 + 16);
});

test('MD with alpha 0 keeps every dim at d (no projection); the flags are checked', () => {
  assert.deepEqual(mdSolver([5, 500, 50000], 0, 8, false), [8, 8, 8]);
  const arch =
    (c: EmbeddingCompression, bot = [13, 16]) =>
    () =>
      buildDlrmArch({
        mlpBot: bot,
        mlpTop: [1],
        tableSizes: [300, 5000],
        interaction: 'dot',
        interactionItself: false,
        compression: c,
      });
  const refused = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof UserError && re.test(e.message));
  refused(
    arch({ md: { temperature: 0.3, threshold: 0, roundDims: true } }, [13, 12]),
    /--md-round-dims: the embedding dim 12 must be a power of two/,
  );
  refused(arch({ qr: { operation: 'mult', collisions: 0, threshold: 0 } }), /--qr-collisions: '0'/);
  refused(
    arch({
      qr: { operation: 'mult', collisions: 2, threshold: 0 },
      md: { temperature: 0.3, threshold: 0, roundDims: false },
    }),
    /cannot be combined/,
  );
});

test('embedding memory of each option for the Kaggle counts at d = 16, by hand', () => {
  const plainRows = KAGGLE_COUNTS.reduce((a, b) => a + b, 0);
  assert.equal(plainRows, 33762577);
  const plain = embeddingMemory(KAGGLE_COUNTS, 16);
  assert.equal(plain.paramBytes, 33762577 * 16 * 4); // 2.01 GiB
  assert.equal(plain.optimizerBytes['rowwise-adagrad'], 33762577 * 4);
  // QR mult c=4: quotient rows 8,440,600 + 18 remainder tables of 4 rows + 206 rows of the 8 small tables, all of 16
  const qr = embeddingMemory(KAGGLE_COUNTS, 16, { qr: { operation: 'mult', collisions: 4, threshold: 200 } });
  assert.equal(qr.paramBytes, (8440600 + 72 + 206) * 16 * 4);
  assert.equal(qr.optimizerBytes['rowwise-adagrad'], (8440600 + 72 + 206) * 4);
  // MD alpha 0.3: the 18 large tables at their md_solver dims (see above) plus a 16 x m projection where m < 16
  const dims = [3, 3, 1, 1, 4, 9, 1, 3, 16, 1, 2, 1, 2, 8, 1, 1, 11, 2, 2, 15, 1, 9, 10, 1, 6, 1];
  let weights = 206 * 16,
    rows = 206,
    proj = 0;
  KAGGLE_COUNTS.forEach((n, t) => {
    if (n <= 200) return;
    weights += n * dims[t];
    rows += n;
    proj += 16 * dims[t];
  });
  // the weights of the 18 MD tables, n x m each:
  assert.equal(
    weights - 206 * 16,
    1460 * 3 +
      583 * 3 +
      10131227 +
      2202608 +
      305 * 4 +
      12517 +
      633 * 3 +
      93145 +
      5683 * 2 +
      8351593 +
      3194 * 2 +
      14992 +
      5461306 +
      5652 * 2 +
      2173 * 2 +
      7046547 +
      286181 +
      142572,
  );
  const md = embeddingMemory(KAGGLE_COUNTS, 16, { md: { temperature: 0.3, threshold: 200, roundDims: false } });
  assert.equal(md.paramBytes, 4 * (weights + proj));
  assert.equal(md.optimizerBytes['rowwise-adagrad'], 4 * (rows + proj));
  assert.ok(md.paramBytes < plain.paramBytes / 10 && qr.paramBytes < plain.paramBytes / 3);
});

test(
  'dlrm inspect --stats --embedding-dim 16 prints what each QR/MD option takes (the real sample)',
  { skip: sample.skip },
  async () => {
    const dir = tempDir('qrmd-inspect');
    try {
      const file = path.join(dir, 'k.dlrm');
      await runPreprocess(preprocessConfig(sample.path as string, file, { dataRandomize: 'none', workers: 1 }));
      const r = dlrm('inspect', '--processed-data-file', file, '--stats', '--embedding-dim', '16');
      assert.equal(r.status, 0, r.stderr);
      const reader = ProcessedFileReader.open(file);
      const counts = (reader.metadata as Manifest).tables.map((t) => t.count);
      reader.close();
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
      for (const [flag, c] of [
        ['--qr-flag (mult, c=4)', { qr: { operation: 'mult', collisions: 4, threshold: 200 } }],
        ['--md-flag --md-round-dims', { md: { temperature: 0.3, threshold: 200, roundDims: true } }],
      ] as const) {
        const m = embeddingMemory(counts, 16, c);
        const line = r.stdout.split('\n').find((l) => l.trim().startsWith(flag));
        assert.ok(line, `a line for ${flag} in:\n${r.stdout}`);
        assert.ok(
          line.includes(`weights ${mib(m.paramBytes)}`) &&
            line.includes(`rowwise-adagrad ${mib(m.optimizerBytes['rowwise-adagrad'])}`),
          line,
        );
      }
      assert.ok(
        counts.some((n) => n > 200),
        'the sample has tables the flags split',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
