// Benchmark of `dlrm eval`'s path (runEval: checkpoint load, split loader with read-ahead, --max-ind-range
// folding, engine.predict, metrics): writes a processed file of N random Criteo-shaped rows (13 dense, 26
// tables of the default train table sizes, one index per bag, all rows in the test split) with the format
// writer and a freshly initialised model checkpoint, then times the evaluation. Prints samples/s.
// Also prints the CPU seconds used (on a shared machine, wall-clock samples/s understate the speed).
// Run: npx tsc -p . && node dist/scripts/bench-eval.js [--rows 1000000] [--arch small|kaggle] [--batch 16384]
//        [--engine auto|tfjs|native] [--backend wasm|cpu|...]
// The default (1M rows, the small arch) stays under 2 minutes on a loaded 2-core machine; --arch kaggle
// (13-512-256-64-16 / 367-512-256-1) is the realistic model, and slower.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessedFileWriter } from '../src/dataset/processedFile';
import type { EngineKind } from '../src/engine/createEngine';
import type { TfjsBackendName } from '../src/engine/tfjs/backend';
import { runEval } from '../src/eval/evaluateRun';
import { buildDlrmArch } from '../src/model/archConfig';
import { allocOptimizerState } from '../src/model/allocOptimizerState';
import { saveCheckpoint } from '../src/model/checkpoint';
import { initDlrmParams } from '../src/model/initParams';
import { DEFAULT_TRAIN_CONFIG } from '../src/train/config';
import { setupLogger } from '../src/util/log';
import { Rng } from '../src/util/random';

const NUM_DENSE = 13;
const BLOCK = 65_536;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const ARCHS = {
  kaggle: { mlpBot: [13, 512, 256, 64, 16], mlpTop: [512, 256, 1] },
  small: { mlpBot: [13, 64, 16], mlpTop: [64, 1] },
};

/** Writes `rows` random rows (labels ~25% clicks, log1p-like dense, uniform indices) with all rows in the test split. */
function writeProcessed(file: string, rows: number, tableSizes: readonly number[]): void {
  const rng = new Rng(1);
  const T = tableSizes.length;
  const writer = new ProcessedFileWriter(file, { numDense: NUM_DENSE, numTables: T });
  const offsets = Uint32Array.from({ length: BLOCK + 1 }, (_, i) => i);
  for (let done = 0; done < rows; done += BLOCK) {
    const n = Math.min(BLOCK, rows - done);
    const labels = Float32Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
    const dense = Float32Array.from({ length: n * NUM_DENSE }, () => rng.next() * 5);
    const bags = tableSizes.map((size) => ({
      offsets: offsets.subarray(0, n + 1),
      indices: Uint32Array.from({ length: n }, () => rng.nextInt(size)),
    }));
    writer.append(labels, dense, bags);
  }
  const tables = tableSizes.map((count, t) => ({
    name: `C${t + 1}`,
    count,
    oovIndex: 0,
    vocabFile: `vocab/C${t + 1}.u32`,
  }));
  writer.commit({
    numDense: NUM_DENSE,
    tables,
    splits: { train: { start: 0, end: 0 }, test: { start: 0, end: rows }, val: { start: rows, end: rows } },
    totalRows: rows,
  });
}

async function main(): Promise<void> {
  setupLogger({ level: 'warn', pretty: false });
  const rows = Number(arg('--rows', '1000000'));
  const archName = arg('--arch', 'small') as keyof typeof ARCHS;
  const batch = Number(arg('--batch', '16384'));
  const engine = arg('--engine', 'auto') as EngineKind;
  const backend = process.argv.includes('--backend') ? (arg('--backend', '') as TfjsBackendName) : undefined;
  const tableSizes = DEFAULT_TRAIN_CONFIG.archEmbeddingSize;
  const arch = buildDlrmArch({
    ...ARCHS[archName],
    tableSizes,
    numDense: NUM_DENSE,
    interaction: 'dot',
    interactionItself: false,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-eval-'));
  try {
    const data = path.join(dir, 'bench.dlrm');
    const model = path.join(dir, 'bench.ckpt');
    let t0 = performance.now();
    writeProcessed(data, rows, tableSizes);
    const params = initDlrmParams(arch, 1);
    saveCheckpoint(
      model,
      {
        engine: 'none',
        arch,
        params,
        optimizerState: allocOptimizerState(params, 'sgd'),
        progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
        trainConfig: {},
        dataState: {},
      },
      'bench-eval',
    );
    console.log(
      `setup: ${rows.toLocaleString('en-US')} rows, ${(fs.statSync(data).size / 1e6).toFixed(0)} MB processed file, arch ${archName} (${arch.mlpBot.join('-')} / ${arch.mlpTop.join('-')}), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await runEval({
      processedDataFile: data,
      loadModel: model,
      split: 'test',
      miniBatchSize: batch,
      verify: true,
      engine,
      backend,
    });
    const total = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    console.log(
      `eval (${r.engine}, B=${batch}): ${Math.round(r.samplesPerSec).toLocaleString('en-US')} samples/s over ${r.metrics.rows.toLocaleString('en-US')} rows (scoring ${r.seconds.toFixed(2)} s; with model load and engine start ${total.toFixed(2)} s); AUC ${r.metrics.auc.toFixed(4)}`,
    );
    console.log(
      `cpu: ${cpuSeconds.toFixed(2)} s (${Math.round(r.metrics.rows / cpuSeconds).toLocaleString('en-US')} samples per CPU second)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
