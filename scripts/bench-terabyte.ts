// The Terabyte route of docs/SCALE.md on a generated Terabyte-shaped set, each step a `dlrm` child
// process: generate N days -> preprocess --no-merged-file --max-ind-range M -> train one epoch from the
// parts folder (small d) -> export-data --format torchrec. Prints per step the wall seconds and peak RSS
// (the process's maxRSS, worker threads included) and the bytes on disk (raw days, shards, npy files),
// per row too, for the SCALE.md formulas. Everything is written under a temporary folder, removed at the end.
// Run: npx tsc -p . && node dist/scripts/bench-terabyte.js [--days 3] [--rows-per-day 1000000]
//      [--max-ind-range 10000000] [--dim 16] [--shuffle-memory-mb 2048] [--batch 2048] [--keep DIR]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const days = arg('--days', 3);
const rowsPerDay = arg('--rows-per-day', 1_000_000);
const maxIndRange = arg('--max-ind-range', 10_000_000);
const dim = arg('--dim', 16);
const shuffleMb = arg('--shuffle-memory-mb', 2048);
const batch = arg('--batch', 2048);
const keepAt = process.argv.indexOf('--keep');
const dir =
  keepAt >= 0 ? path.resolve(process.argv[keepAt + 1]) : fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-tb-'));
fs.mkdirSync(dir, { recursive: true });
const main = path.join(__dirname, '..', 'src', 'cli', 'main.js');

/** Runs one dlrm subcommand; prints and returns its seconds and peak RSS. */
function step(name: string, args: string[]): { seconds: number; peakMB: number; stdout: string } {
  const script = `process.on('exit', () => require('fs').writeSync(2, 'PEAK_RSS_KB=' + process.resourceUsage().maxRSS + '\\n')); require(${JSON.stringify(main)}).runCli(['node', 'dlrm', ...process.argv.slice(1)]);`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['-e', script, ...args, '--log-level', 'warn'], {
    encoding: 'utf8',
    cwd: dir,
    maxBuffer: 1 << 26,
  });
  const seconds = (Date.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const peakMB = Number(/PEAK_RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  console.log(`${name.padEnd(34)} ${seconds.toFixed(1).padStart(7)} s   peak RSS ${peakMB.toFixed(0).padStart(6)} MB`);
  return { seconds, peakMB, stdout: r.stdout };
}

function bytesOf(p: string, filter: (f: string) => boolean = () => true): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((s, f) => s + (filter(f) ? bytesOf(path.join(p, f)) : 0), 0);
}

const rows = days * rowsPerDay;
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB (${(b / rows).toFixed(1)} B/row)`;
try {
  console.log(
    `terabyte-shaped: ${days} days x ${rowsPerDay} rows, --max-ind-range ${maxIndRange}, d=${dim}, --shuffle-memory-mb ${shuffleMb}, B=${batch} (in ${dir})`,
  );
  step('generate', [
    'generate',
    '--data-set',
    'terabyte',
    '--days',
    String(days),
    '--rows-per-day',
    String(rowsPerDay),
    '--out',
    'day',
  ]);
  step('preprocess --no-merged-file', [
    'preprocess',
    '--data-set',
    'terabyte',
    '--raw-data-file',
    'day',
    '--no-merged-file',
    '--max-ind-range',
    String(maxIndRange),
  ]);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'day.dlrm.parts', 'manifest.json'), 'utf8')) as {
    tables: { count: number }[];
  };
  const tableRows = manifest.tables.reduce((s, t) => s + t.count, 0);
  step(`train 1 epoch from parts (sgd)`, [
    'train',
    '--processed-data-file',
    'day.dlrm.parts',
    '--arch-sparse-feature-size',
    String(dim),
    '--arch-mlp-bot',
    `13-64-${dim}`,
    '--arch-mlp-top',
    '64-1',
    '--loss-function',
    'bce',
    '--mini-batch-size',
    String(batch),
    '--learning-rate',
    '0.1',
    '--shuffle-memory-mb',
    String(shuffleMb),
    '--test-mini-batch-size',
    '16384',
  ]);
  step('export-data --format torchrec', [
    'export-data',
    '--format',
    'torchrec',
    '--processed-data-file',
    'day.dlrm.parts',
    '--out',
    'torchrec',
  ]);
  console.log(`raw day files      ${mb(bytesOf(dir, (f) => /^day_\d+$/.test(f)))}`);
  console.log(`shards (parts)     ${mb(bytesOf(path.join(dir, 'day.dlrm.parts'), (f) => f.endsWith('.dlrm')))}`);
  console.log(`vocabularies       ${mb(bytesOf(path.join(dir, 'day.dlrm.parts', 'vocab')))}`);
  console.log(`torchrec .npy      ${mb(bytesOf(path.join(dir, 'torchrec')))}`);
  console.log(
    `table rows (sum of counts) ${tableRows}: embedding weights at d=${dim} ${((tableRows * dim * 4) / 1e6).toFixed(1)} MB`,
  );
} finally {
  if (keepAt < 0) fs.rmSync(dir, { recursive: true, force: true });
}
