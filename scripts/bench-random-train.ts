// Benchmark (not a test): `dlrm train --data-generation random` against training from a processed file, through
// the CLI, same model and tables (issue 13: random data must train as fast as a file). A Criteo-shaped raw file
// of --rows lines is generated and preprocessed once; then in rounds (the order alternating) the Kaggle
// architecture (13-512-256-64-16, dot, 512-256-1, sgd) trains --num-batches steps of --batch rows from the
// file, from random data with one index per bag (the file's shape: Criteo bags hold one index) and the file's
// table sizes, and from random data with the default bags (1..10 indices: more embedding work by design).
// Two figures per side: samples/s (the median of a run's metrics-file "train" lines after the first; wall
// time, so on a shared machine it swings with the load) and CPU microseconds per training sample (all threads
// of the dlrm process, read by a preload at its exit; a run of --num-batches steps minus one of a third of
// them, same data and evaluation, so setup and the final evaluation cancel): the steadier figure under load.
// Per side the medians over rounds are printed, and random (one index per bag) / file is checked (>= 0.95 in
// samples/s terms, i.e. CPU per sample at most 1/0.95 of the file's).
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

/** Runs dlrm; with `cpuFile`, a preload writes the process's CPU time (process.cpuUsage(), µs) there at exit. */
function dlrm(args: string[], cpuFile?: string): number {
  const preload = cpuFile ? ['--require', CPU_PRELOAD] : [];
  const env = cpuFile ? { ...process.env, DLRM_BENCH_CPU_FILE: cpuFile } : process.env;
  const r = spawnSync(process.execPath, [...preload, DLRM, ...args, '--log-level', 'warn'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env,
  });
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  if (!cpuFile) return 0;
  const { user, system } = JSON.parse(fs.readFileSync(cpuFile, 'utf8')) as NodeJS.CpuUsage;
  return user + system;
}

/** The preload: the dlrm process's CPU time at exit, as JSON, to $DLRM_BENCH_CPU_FILE. */
let CPU_PRELOAD = '';
function writePreload(dir: string): void {
  CPU_PRELOAD = path.join(dir, 'cpu-at-exit.js');
  fs.writeFileSync(
    CPU_PRELOAD,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.DLRM_BENCH_CPU_FILE, JSON.stringify(process.cpuUsage())));\n",
  );
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

/** One training run of `steps` steps; returns its median samples/s (train lines after the first), CPU µs and table sizes. */
function train(
  dir: string,
  name: string,
  data: string[],
  steps = Number(opts['num-batches']),
): { samplesPerSec: number; cpuMicros: number; tableSizes: number[] } {
  const metrics = path.join(dir, `${name}.jsonl`);
  fs.rmSync(metrics, { force: true });
  const args = [
    'train',
    ...data,
    ...ARCH,
    '--engine',
    opts.engine,
    '--mini-batch-size',
    opts.batch,
    '--num-batches',
    String(steps),
  ];
  const cpuMicros = dlrm(
    [...args, '--print-freq', String(Math.max(1, Math.floor(steps / 10))), '--metrics-file', metrics],
    path.join(dir, 'cpu.json'),
  );
  const lines = fs
    .readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunLine | TrainLine);
  const run = lines.find((l): l is RunLine => l.type === 'run');
  const rates = lines.filter((l): l is TrainLine => l.type === 'train').map((l) => l.samplesPerSec);
  if (!run || rates.length < 2) throw new Error(`${metrics}: no run line or too few train lines`);
  return { samplesPerSec: median(rates.slice(1)), cpuMicros, tableSizes: run.arch.tableSizes };
}

/** CPU µs per training sample: a full run minus a run of a third of the steps (setup and evaluation cancel). */
function cpuPerSample(dir: string, data: string[]): { samplesPerSec: number; cpuPerSample: number } {
  const steps = Number(opts['num-batches']),
    short = Math.max(1, Math.floor(steps / 3));
  const full = train(dir, 'full', data, steps);
  const part = train(dir, 'part', data, short);
  return {
    samplesPerSec: full.samplesPerSec,
    cpuPerSample: (full.cpuMicros - part.cpuMicros) / ((steps - short) * Number(opts.batch)),
  };
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-random-'));
  try {
    writePreload(dir);
    const raw = path.join(dir, 'train.txt');
    const processed = path.join(dir, 'train.dlrm');
    dlrm(['generate', '--rows', opts.rows, '--out', raw]);
    dlrm(['preprocess', '--raw-data-file', raw, '--processed-data-file', processed]);
    fs.rmSync(raw);
    const fileSide = ['--processed-data-file', processed];
    const { tableSizes } = train(dir, 'probe', fileSide, 2);
    const trainRows = Number(opts.batch) * Number(opts['num-batches']);
    const randomSide = (n: number) => [
      '--data-generation',
      'random',
      '--arch-embedding-size',
      tableSizes.join('-'),
      '--data-size',
      String(trainRows),
      '--num-indices-per-lookup',
      String(n),
    ];
    const sides = [
      { label: 'processed file', args: fileSide },
      { label: 'random, 1 index per bag', args: randomSide(1) },
      { label: 'random, 1..10 per bag (default)', args: randomSide(10) },
    ];
    console.log(
      `${opts.rows} generated rows preprocessed; ${tableSizes.length} tables, ${tableSizes.reduce((a, b) => a + b, 0)} rows in all; B=${opts.batch}, ${opts['num-batches']} steps per run, --engine ${opts.engine}; load average ${os.loadavg()[0].toFixed(2)}`,
    );
    const series = sides.map(() => [] as { samplesPerSec: number; cpuPerSample: number }[]);
    for (let r = 0; r < Number(opts.rounds); r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) series[sides.indexOf(side)].push(cpuPerSample(dir, side.args));
      console.log(
        `  round ${r + 1} (load ${os.loadavg()[0].toFixed(2)}): ${sides.map((s, i) => `${s.label} ${Math.round(series[i][r].samplesPerSec)} samples/s, ${series[i][r].cpuPerSample.toFixed(1)} cpu µs/sample`).join('; ')}`,
      );
    }
    const rates = series.map((s) => median(s.map((x) => x.samplesPerSec)));
    const cpus = series.map((s) => median(s.map((x) => x.cpuPerSample)));
    sides.forEach((s, i) =>
      console.log(
        `${s.label.padEnd(34)} ${String(Math.round(rates[i])).padStart(8)} samples/s ${cpus[i].toFixed(1).padStart(8)} cpu µs/sample (medians of ${series[i].length} rounds)`,
      ),
    );
    const ratio = rates[1] / rates[0],
      cpuRatio = cpus[0] / cpus[1];
    console.log(
      `random (1 index per bag) / processed file: ${ratio.toFixed(3)} by samples/s, ${cpuRatio.toFixed(3)} by CPU per sample; target >= 0.95: ${cpuRatio >= 0.95 ? 'met' : 'NOT met'} (CPU); load average at the end ${os.loadavg()[0].toFixed(2)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
