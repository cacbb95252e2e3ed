// Benchmark (not a test): test AUC of --precision bf16 against fp32 on the real Criteo sample
// (../shared/data/criteo/kaggle-sample.txt, beside the repository), issue 13's accuracy target (within 0.002).
// Preprocesses the sample once (Kaggle preset, into a temporary folder), then per seed trains the Kaggle
// architecture (13-512-256-64-16, 26 tables of dim 16, dot, 512-256-1, bce, sgd) through the CLI with the
// native engine at each precision, and reads the final test AUC from `dlrm train`'s last stdout line.
// Prints one line per seed and precision, the per-seed differences, their mean and the verdict.
// Usage: node dist/scripts/bench-bf16-auc.js [--seeds 1,2,3] [--nepochs 2] [--mini-batch-size 128]
//        [--sample path/to/train.txt]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');
const DLRM = path.join(ROOT, 'bin', 'dlrm.js');
const TARGET = 0.002;

const { values: opts } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    nepochs: { type: 'string', default: '2' },
    'mini-batch-size': { type: 'string', default: '128' },
    sample: { type: 'string', default: path.resolve(ROOT, '..', 'shared', 'data', 'criteo', 'kaggle-sample.txt') },
  },
});

function dlrm(args: string[]): string {
  const r = spawnSync(process.execPath, [DLRM, ...args, '--log-level', 'warn'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`dlrm ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout;
}

function main(): void {
  const sample = opts.sample;
  if (!fs.existsSync(sample))
    throw new Error(
      `${sample} not found (the real Criteo sample lives in ../shared/data/criteo beside the repository)`,
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bf16-auc-'));
  try {
    const raw = path.join(dir, 'train.txt');
    fs.copyFileSync(sample, raw);
    const processed = path.join(dir, 'train.dlrm');
    dlrm(['preprocess', '--raw-data-file', raw, '--processed-data-file', processed]);
    const seeds = opts.seeds.split(',').map(Number);
    console.log(
      `${sample}: Kaggle architecture, --nepochs ${opts.nepochs} --mini-batch-size ${opts['mini-batch-size']}, native engine, seeds ${seeds.join(', ')}`,
    );
    const diffs: number[] = [];
    for (const seed of seeds) {
      const auc: Record<string, number> = {};
      for (const precision of ['fp32', 'bf16']) {
        const out = dlrm([
          'train',
          '--processed-data-file',
          processed,
          '--engine',
          'native',
          '--precision',
          precision,
          '--seed',
          String(seed),
          '--arch-sparse-feature-size',
          '16',
          '--arch-mlp-bot',
          '13-512-256-64-16',
          '--arch-mlp-top',
          '512-256-1',
          '--mini-batch-size',
          opts['mini-batch-size'],
          '--nepochs',
          opts.nepochs,
        ]);
        const m = /^final (\d+) rows: auc ([0-9.]+)/m.exec(out);
        if (!m) throw new Error(`no final AUC line in:\n${out}`);
        auc[precision] = Number(m[2]);
        console.log(`  seed ${seed} ${precision}: test AUC ${m[2]} over ${m[1]} rows`);
      }
      diffs.push(auc.bf16 - auc.fp32);
      console.log(`  seed ${seed}: bf16 - fp32 = ${(auc.bf16 - auc.fp32).toFixed(4)}`);
    }
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const worst = Math.max(...diffs.map(Math.abs));
    console.log(
      `mean bf16 - fp32 AUC over ${diffs.length} seeds: ${mean.toFixed(4)} (largest single-seed |difference| ${worst.toFixed(4)}); target |mean| <= ${TARGET}: ${Math.abs(mean) <= TARGET ? 'met' : 'NOT met'}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
