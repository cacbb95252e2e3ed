// Benchmark of the compressed embeddings (issue 13 part 3): (1) the memory of the embedding tables of the
// Criteo Terabyte model (--max-ind-range 10M, d = 64, the 26 table sizes of the reference's
// tools/visualize.py for that setting) plain and under the reference's default QR and MD flags, weights plus
// each optimizer's state, against a 24 GiB machine; (2) the test AUC of plain, QR and MD models trained on
// the real Kaggle sample (../shared, preprocessed here into a temporary folder), one epoch, for 3 seeds.
// Run: npx tsc -p . && node dist/scripts/bench-compressed.js [--seeds 3] [--engine native|tfjs] [--epochs 1]
//        [--memory-only]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultCompressions, embeddingMemory } from '../src/embedding/compressedLayout';
import type { EmbeddingCompression } from '../src/model/arch';
import { runPreprocess } from '../src/preprocess/pipeline';
import { preprocessConfig } from '../src/preprocess/preprocessConfig';
import { resolveTrainConfig, type EngineChoice, type TrainConfig } from '../src/train/config';
import { runTraining } from '../src/train/train';
import { setupLogger } from '../src/util/log';

/** Criteo Terabyte table sizes at --max-ind-range 10,000,000 (reference tools/visualize.py, "2. Criteo Terabyte"). */
export const TERABYTE_10M_COUNTS: readonly number[] = [
  9980333, 36084, 17217, 7378, 20134, 3, 7112, 1442, 61, 9758201, 1333352, 313829, 10, 2208, 11156, 122, 4, 970, 14,
  9994222, 7267859, 9946608, 415421, 12420, 101, 36,
];
const MACHINE_BYTES = 24 * 2 ** 30;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;

function printMemory(): void {
  const d = 64;
  console.log(
    `Terabyte tables (--max-ind-range 10M, ${TERABYTE_10M_COUNTS.reduce((a, b) => a + b, 0).toLocaleString('en-US')} rows), d = ${d}; fits = weights + state <= 24 GiB`,
  );
  console.log(
    `${'option'.padEnd(34)} ${'weights'.padStart(10)} ${'+adagrad'.padStart(10)} ${'+rowwise'.padStart(10)}  fits (sgd / adagrad / rowwise)`,
  );
  const options: { name: string; compression?: EmbeddingCompression }[] = [
    { name: 'plain' },
    ...defaultCompressions(d),
  ];
  for (const o of options) {
    const m = embeddingMemory(TERABYTE_10M_COUNTS, d, o.compression);
    const totals = [
      m.paramBytes,
      m.paramBytes + m.optimizerBytes.adagrad,
      m.paramBytes + m.optimizerBytes['rowwise-adagrad'],
    ];
    console.log(
      `${o.name.padEnd(34)} ${totals.map((t) => gib(t).padStart(10)).join(' ')}  ${totals.map((t) => (t <= MACHINE_BYTES ? 'yes' : 'NO')).join(' / ')}`,
    );
  }
}

async function printAuc(): Promise<void> {
  const sample = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'criteo', 'kaggle-sample.txt');
  if (!fs.existsSync(sample)) {
    console.log(`no real sample at ${sample}: AUC part skipped`);
    return;
  }
  const seeds = Number(arg('--seeds', '3'));
  const engine = arg('--engine', 'native') as EngineChoice;
  const epochs = Number(arg('--epochs', '1'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compressed-'));
  try {
    const file = path.join(dir, 'sample.dlrm');
    await runPreprocess(preprocessConfig(sample, file, { workers: 1 }));
    const runs: { name: string; flags: Partial<TrainConfig> }[] = [
      { name: 'plain', flags: {} },
      { name: 'qr mult c=4', flags: { qrFlag: true } },
      { name: 'qr add c=4', flags: { qrFlag: true, qrOperation: 'add' } },
      { name: 'md alpha 0.3', flags: { mdFlag: true } },
      { name: 'md alpha 0.3 round', flags: { mdFlag: true, mdRoundDims: true } },
    ];
    console.log(
      `\nreal Kaggle sample (${sample}), 13-512-256-64-16 / 512-256-1, bce, sgd lr 0.1, B 128, ${epochs} epoch(s), engine ${engine}; test AUC per seed`,
    );
    for (const run of runs) {
      const aucs: number[] = [];
      let tableBytes = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        const c = resolveTrainConfig({
          processedDataFile: file,
          archMlpBot: [13, 512, 256, 64, 16],
          archMlpTop: [512, 256, 1],
          lossFunction: 'bce',
          optimizer: 'sgd',
          learningRate: 0.1,
          miniBatchSize: 128,
          nepochs: epochs,
          printFreq: 100000,
          seed,
          engine,
          ...run.flags,
        });
        const r = await runTraining(c);
        aucs.push(r.metrics?.auc ?? NaN);
        const p = r.model.params;
        tableBytes = [
          ...p.tables.flatMap((t) => t.chunks),
          ...(p.compressed ?? []).flatMap((x) =>
            x ? [...x.tables.flatMap((t) => t.chunks), ...(x.projection ? [x.projection] : [])] : [],
          ),
        ].reduce((s, a) => s + a.byteLength, 0);
      }
      const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
      console.log(
        `${run.name.padEnd(20)} AUC ${aucs.map((a) => a.toFixed(4)).join(' ')}  mean ${mean.toFixed(4)}  embedding weights ${(tableBytes / 2 ** 20).toFixed(2)} MiB`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  setupLogger({ level: 'warn', pretty: false });
  printMemory();
  if (!process.argv.includes('--memory-only')) await printAuc();
}

void main();
