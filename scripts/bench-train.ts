// Benchmark (not a test): training-step throughput of the TensorFlow.js engine on the Kaggle architecture
// (bottom 13-512-256-64-16, 26 tables of dim 16 with the Kaggle counts capped at --max-table-rows, dot
// interaction, top 367-512-256-1, bce, sgd) at B=128 and B=2048, on every backend that loads (each in its
// own child process, so peak RSS is per backend), from random batches (uniform indices, one per bag).
// Prints a table: backend, B, steps, wall ms/step, CPU ms/step (user+system: on a busy machine this is the
// better estimate of a quiet machine's ms/step for the single-threaded backends), samples/s, peak RSS.
// Usage: node dist/scripts/bench-train.js [--backends wasm,cpu] [--max-table-rows 1000000] [--steps 20]
//   --steps scales the per-backend defaults (wasm/tensorflow: 20 at B=128, 4 at B=2048; cpu: 3 and 1).
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { Batch } from '../src/dataset/batch';
import { randomSource } from '../src/dataset/randomSource';
import { TfjsEngine } from '../src/engine/tfjs/tfjsEngine';
import { TFJS_BACKENDS, type TfjsBackendName } from '../src/engine/tfjs/backend';
import { allocOptimizerState } from '../src/model/allocOptimizerState';
import { buildDlrmArch } from '../src/model/archConfig';
import { initDlrmParams } from '../src/model/initParams';
import { setupLogger } from '../src/util/log';
import { KAGGLE_COUNTS } from './kaggleCounts';

const BATCH_SIZES = [128, 2048];

const { values: opts } = parseArgs({
  options: {
    backends: { type: 'string', default: TFJS_BACKENDS.join(',') },
    'max-table-rows': { type: 'string', default: '1000000' },
    steps: { type: 'string', default: '20' },
    worker: { type: 'string' },
  },
});

interface Row {
  backend: string;
  engine: string;
  batch: number;
  steps: number;
  msPerStep: number;
  /** CPU time (user + system) per step: on a busy machine, wall time over-states a single-threaded backend. */
  cpuMsPerStep: number;
  samplesPerSec: number;
  peakRssMb: number;
}

function defaultSteps(backend: string, B: number, scale: number): number {
  const base = backend === 'cpu' ? (B === 128 ? 3 : 1) : B === 128 ? 20 : 4;
  return Math.max(1, Math.round((base * scale) / 20));
}

async function worker(backend: TfjsBackendName, maxRows: number, scale: number): Promise<Row[]> {
  setupLogger({ level: 'warn' });
  const tableSizes = KAGGLE_COUNTS.map((n) => Math.min(n, maxRows));
  const arch = buildDlrmArch({
    mlpBot: [13, 512, 256, 64, 16],
    mlpTop: [512, 256, 1],
    tableSizes,
    numDense: 13,
    interaction: 'dot',
    interactionItself: false,
  });
  const params = initDlrmParams(arch, 1);
  const engine = await TfjsEngine.create(
    { arch, optimizer: 'sgd', loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 },
    params,
    allocOptimizerState(params, 'sgd'),
    backend,
  );
  const rows: Row[] = [];
  for (const B of BATCH_SIZES) {
    const steps = defaultSteps(backend, B, scale);
    const source = randomSource({
      numDense: 13,
      tableSizes,
      rows: B * 4,
      seed: 7,
      numIndicesPerLookup: 1,
      numIndicesPerLookupFixed: true,
    });
    const batches: Batch[] = [];
    for await (const b of source.batches(B)) batches.push(b);
    const warmup = backend === 'cpu' ? 1 : 2;
    for (let i = 0; i < warmup; i++) await engine.trainStep(batches[i % batches.length], 0.01);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) await engine.trainStep(batches[i % batches.length], 0.01);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
    const cpu = process.cpuUsage(c0);
    const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
    rows.push({
      backend,
      engine: engine.name,
      batch: B,
      steps,
      msPerStep: ms,
      cpuMsPerStep: cpuMs,
      samplesPerSec: (B * 1000) / ms,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    });
  }
  engine.dispose();
  return rows;
}

function main(): void {
  const maxRows = Number(opts['max-table-rows']);
  const scale = Number(opts.steps);
  const backends = (opts.backends ?? '').split(',').filter(Boolean) as TfjsBackendName[];
  const totalRows = KAGGLE_COUNTS.reduce((s, n) => s + Math.min(n, maxRows), 0);
  console.log(
    `Kaggle DLRM 13-512-256-64-16 / 367-512-256-1, dot, bce, sgd; 26 tables of dim 16, counts capped at ${maxRows} rows (${totalRows} rows, ${((totalRows * 64) / 2 ** 20).toFixed(0)} MiB)`,
  );
  const results: Row[] = [];
  for (const backend of backends) {
    const child = spawnSync(
      process.execPath,
      [__filename, '--worker', backend, '--max-table-rows', String(maxRows), '--steps', String(scale)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const line = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status !== 0 || !line.startsWith('[')) {
      console.log(
        `${backend}: not available (${(
          child.stderr
            .trim()
            .split('\n')
            .find((l) => l.includes('dlrm:') || l.includes('Error')) ??
          child.stderr.trim().split('\n').pop() ??
          ''
        ).slice(0, 160)})`,
      );
      continue;
    }
    results.push(...(JSON.parse(line) as Row[]));
  }
  const header = ['backend', 'engine', 'B', 'steps', 'ms/step', 'cpu ms/step', 'samples/s', 'peak RSS MiB'];
  const table = results.map((r) => [
    r.backend,
    r.engine,
    String(r.batch),
    String(r.steps),
    r.msPerStep.toFixed(1),
    r.cpuMsPerStep.toFixed(1),
    r.samplesPerSec.toFixed(0),
    r.peakRssMb.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(fmt(header));
  for (const row of table) console.log(fmt(row));
}

if (opts.worker) {
  worker(opts.worker as TfjsBackendName, Number(opts['max-table-rows']), Number(opts.steps)).then(
    (rows) => console.log(JSON.stringify(rows)),
    (err: unknown) => {
      console.error(err instanceof Error ? `dlrm: ${err.message}` : String(err));
      process.exitCode = 1;
    },
  );
} else {
  main();
}
