// Benchmark (not a test): `dlrm train --data-generation random` against training from a processed file, through
// the CLI, same model and tables (issue 13: random data must train as fast as a file). A Criteo-shaped raw file
// of --rows lines is generated and preprocessed once; then in rounds (the order alternating) the Kaggle
// architecture (13-512-256-64-16, dot, 512-256-1, sgd) trains --num-batches steps of --batch rows from the
// file, from random data with one index per bag (the file's shape: Criteo bags hold one index) and the file's
// table sizes, and from random data with the default bags (1..10 indices: more embedding work by design).
// Each run's samples/s is the median of its metrics-file "train" lines after the first; per side the median
// over rounds is printed, and random (one index per bag) / file is checked against 1.0 (within 5%).
// Usage: node dist/scripts/bench-random-train.js [--rows 400000] [--batch 128] [--num-batches 1500] [--rounds 2]
//        [--engine native]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const DLRM = path.join(__dirname, '..', '..', 'bin', 'dlrm.js');
const ARCH = ['--arch-sparse-feature-size', '16', '--arch-mlp-bot', '13-512-256-64-16', '--arch-mlp-top', '512-256-1'];

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '400000' },
    batch: { type: 'string', default: '128' },
    'num-batches': { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '2' },
    engine: { type: 'string', default: 'native' },
  },
});

function dlrm(args: string[]): void {
  const r = spawnSync(process.execPath, [DLRM, ...args, '--log-level', 'warn'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
}

interface RunLine {
  type: 'run';
  arch: { tableSizes: number[] };
}
interface TrainLine {
  type: 'train';
  samplesPerSec: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One training run; returns its median samples/s (train lines after the first) and its table sizes. */
function train(dir: string, name: string, data: string[]): { samplesPerSec: number; tableSizes: number[] } {
  const metrics = path.join(dir, `${name}.jsonl`);
  fs.rmSync(metrics, { force: true });
  const steps = Number(opts['num-batches']);
  dlrm(['train', ...data, ...ARCH, '--engine', opts.engine as string, '--mini-batch-size', opts.batch as string, '--num-batches', String(steps), '--print-freq', String(Math.max(1, Math.floor(steps / 10))), '--metrics-file', metrics]);
  const lines = fs.readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunLine | TrainLine);
  const run = lines.find((l): l is RunLine => l.type === 'run');
  const rates = lines.filter((l): l is TrainLine => l.type === 'train').map((l) => l.samplesPerSec);
  if (!run || rates.length < 2) throw new Error(`${metrics}: no run line or too few train lines`);
  return { samplesPerSec: median(rates.slice(1)), tableSizes: run.arch.tableSizes };
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-random-'));
  try {
    const raw = path.join(dir, 'train.txt');
    const processed = path.join(dir, 'train.dlrm');
    dlrm(['generate', '--rows', opts.rows as string, '--out', raw]);
    dlrm(['preprocess', '--raw-data-file', raw, '--processed-data-file', processed]);
    fs.rmSync(raw);
    const fileSide = ['--processed-data-file', processed];
    const { tableSizes } = train(dir, 'probe', [...fileSide]);
    const trainRows = Number(opts.batch) * Number(opts['num-batches']);
    const randomSide = (n: number) => ['--data-generation', 'random', '--arch-embedding-size', tableSizes.join('-'), '--data-size', String(trainRows), '--num-indices-per-lookup', String(n)];
    const sides = [
      { label: 'processed file', args: fileSide },
      { label: 'random, 1 index per bag', args: randomSide(1) },
      { label: 'random, 1..10 per bag (default)', args: randomSide(10) },
    ];
    console.log(`${opts.rows} generated rows preprocessed; ${tableSizes.length} tables, ${tableSizes.reduce((a, b) => a + b, 0)} rows in all; B=${opts.batch}, ${opts['num-batches']} steps per run, --engine ${opts.engine}; load average ${os.loadavg()[0].toFixed(2)}`);
    const series = sides.map(() => [] as number[]);
    for (let r = 0; r < Number(opts.rounds); r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) series[sides.indexOf(side)].push(train(dir, `r${r}`, side.args).samplesPerSec);
      console.log(`  round ${r + 1} (load ${os.loadavg()[0].toFixed(2)}): ${sides.map((s, i) => `${s.label} ${Math.round(series[i][r])}`).join(', ')} samples/s`);
    }
    const medians = series.map(median);
    sides.forEach((s, i) => console.log(`${s.label.padEnd(34)} ${String(Math.round(medians[i])).padStart(8)} samples/s (median of ${series[i].length} runs)`));
    const ratio = medians[1] / medians[0];
    console.log(`random (1 index per bag) / processed file: ${ratio.toFixed(3)}; target >= 0.95: ${ratio >= 0.95 ? 'met' : 'NOT met'}; load average at the end ${os.loadavg()[0].toFixed(2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
