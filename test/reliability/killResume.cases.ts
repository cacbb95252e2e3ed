// Kill -9 at a random moment, then resume: the fault cases for "nothing lost on a crash, long runs can be
// resumed". prepare() makes an uninterrupted reference run once per process, starts the same run, kills it
// with SIGKILL after a drawn delay, and returns the resuming run (or, when the kill came before any resumable
// state existed or after the run had finished, the plain rerun); the check compares the result with the
// reference: preprocess outputs byte for byte, training by the final checkpoint's evaluation on the test split.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { Rng } from '../../src/util/random';
import { type FaultCase, type FaultRun, runDlrm } from './faultCase';

const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
/** Reproducible manifests (createdAt) so runs compare byte for byte. */
const env = { SOURCE_DATE_EPOCH: '1700000000' };

/** A reference workspace made once per process: raw lines, their uninterrupted preprocess, a training run. */
interface Reference {
  dir: string;
  raw: string;
  processed: string;
  /** Wall seconds of the uninterrupted runs, the range kill delays are drawn from. */
  preprocessSeconds: number;
  trainSeconds: number;
  /** `dlrm eval --json` of the uninterrupted training run's final checkpoint. */
  trainEval: string;
}

let reference: Reference | undefined;

/** Runs `dlrm ARGS` (reproducible manifests), throwing when it fails; returns its wall seconds. */
export function mustRun(args: string[]): number {
  const t0 = Date.now();
  const r = runDlrm([...args, '--log-level', 'warn'], { env });
  if (r.status !== 0) throw new Error(`reference run failed: dlrm ${args.join(' ')}\n${r.stderr}`);
  return (Date.now() - t0) / 1000;
}

/** The preprocess every kill trial runs (a --schema trial adds its schema). */
export const preprocessArgs = (raw: string, out: string): string[] => [
  'preprocess',
  '--raw-data-file',
  raw,
  '--processed-data-file',
  out,
  '--workers',
  '2',
  '--min-frequency',
  '2',
];
const trainArgs = (processed: string, ckpt: string): string[] => [
  'train',
  '--processed-data-file',
  processed,
  '--mini-batch-size',
  '32',
  '--nepochs',
  '2',
  '--num-batches',
  '800',
  '--save-model',
  ckpt,
  '--save-freq',
  '40',
  '--print-freq',
  '100000',
  '--seed',
  '5',
];
/** The evaluation's figures that depend on the model (not its path or speed). */
const EVAL_FIELDS = [
  'modelSteps',
  'rows',
  'positiveRate',
  'accuracy',
  'auc',
  'logloss',
  'ne',
  'calibration',
  'averagePrecision',
];
const evalJson = (processed: string, ckpt: string): string => {
  const r = runDlrm([
    'eval',
    '--processed-data-file',
    processed,
    '--load-model',
    ckpt,
    '--json',
    '--log-level',
    'warn',
  ]);
  if (r.status !== 0) return `eval failed: ${r.stderr}`;
  const m = JSON.parse(r.stdout) as Record<string, unknown>;
  return JSON.stringify(EVAL_FIELDS.map((k) => [k, m[k]]));
};

/** The reference runs, made on first use and removed at exit. */
function getReference(): Reference {
  if (reference) return reference;
  const dir = tempDir('fault-ref');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const raw = path.join(dir, 'train.txt');
  mustRun(['generate', '--rows', '200000', '--out', raw, '--seed', '11']);
  const processed = path.join(dir, 'ref', 'train.dlrm');
  fs.mkdirSync(path.dirname(processed));
  const preprocessSeconds = mustRun(preprocessArgs(raw, processed));
  const ckpt = path.join(dir, 'ref.ckpt');
  const trainSeconds = mustRun(trainArgs(processed, ckpt));
  reference = { dir, raw, processed, preprocessSeconds, trainSeconds, trainEval: evalJson(processed, ckpt) };
  return reference;
}

/** Starts `dlrm ARGS`, kills it with SIGKILL after `seconds` (if still running); resolves once it is gone. */
async function killAfter(args: string[], seconds: number): Promise<'killed' | 'finished'> {
  const child = spawn(process.execPath, [cli, ...args, '--log-level', 'warn'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  await exited;
  clearTimeout(timer);
  return child.signalCode === 'SIGKILL' ? 'killed' : 'finished';
}

/** Every file of a processed output (merged file and parts folder) by relative name. */
function outputFiles(out: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (fs.existsSync(out)) files.set(path.basename(out), fs.readFileSync(out));
  const walk = (d: string, rel: string): void => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else files.set(rel + e.name, fs.readFileSync(path.join(d, e.name)));
    }
  };
  walk(`${out}.parts`, 'parts/');
  return files;
}

/** Differences between two processed outputs, in words (empty when byte-identical). */
function outputDifferences(expected: string, got: string): string | undefined {
  const a = outputFiles(expected),
    b = outputFiles(got);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const differ = names.filter((n) => !a.has(n) || !b.has(n) || !(a.get(n) as Buffer).equals(b.get(n) as Buffer));
  return differ.length ? `differs from the uninterrupted run: ${differ.join(', ')}` : undefined;
}

/**
 * Starts the preprocess `args(out)` (out in `dir`), kills it after `delay` of the uninterrupted run's
 * `seconds`, and returns the run that judges it against the uninterrupted output `expected`: the resuming
 * run (`--resume` when an interrupted run is left, else the plain rerun), or, when the run had published
 * before the kill, an inspect of what it published.
 */
export async function killedPreprocessRun(
  dir: string,
  out: string,
  args: (out: string) => string[],
  expected: string,
  delay: number,
  seconds: number,
): Promise<FaultRun> {
  const how = await killAfter(args(out), delay);
  const partial = fs.readdirSync(dir).some((n) => n.endsWith('.partial'));
  if (fs.existsSync(out)) {
    // the run had published before the kill: judge what it published
    return {
      args: ['inspect', '--processed-data-file', out],
      expectExit: 0,
      note: `finished before the kill at ${delay.toFixed(2)} s`,
      check: () => outputDifferences(expected, out),
    };
  }
  return {
    args: [...args(out), ...(partial ? ['--resume'] : []), '--log-level', 'warn'],
    env,
    note: `${how} at ${delay.toFixed(2)} s of ${seconds.toFixed(2)}; ${partial ? 'resumed with --resume' : 'nothing saved yet: rerun'}`,
    expectExit: 0,
    check: (r) =>
      r.status !== 0
        ? `the resuming run failed (${how} after ${delay.toFixed(2)} s): ${r.stderr}`
        : outputDifferences(expected, out),
  };
}

/** A preprocess killed after a drawn delay, then resumed (`--resume` when an interrupted run is left). */
export function preprocessKillCase(trial: number, seed: number): FaultCase {
  return {
    name: `preprocess killed with SIGKILL at a random moment (trial ${trial}), then resumed: byte-identical outputs`,
    kind: 'kill-resume',
    prepare(dir: string): Promise<FaultRun> {
      const ref = getReference();
      const delay = 0.1 + new Rng(seed + trial).next() * ref.preprocessSeconds;
      const args = (out: string): string[] => preprocessArgs(ref.raw, out);
      return killedPreprocessRun(dir, path.join(dir, 'train.dlrm'), args, ref.processed, delay, ref.preprocessSeconds);
    },
  };
}

/** A training run killed after a drawn delay, then resumed from its last checkpoint (fresh when none was written). */
export function trainKillCase(trial: number, seed: number): FaultCase {
  return {
    name: `train killed with SIGKILL at a random moment (trial ${trial}), then resumed from its checkpoint: the same final model`,
    kind: 'kill-resume',
    async prepare(dir: string): Promise<FaultRun> {
      const ref = getReference();
      const delay = 0.2 + new Rng(seed + 1000 + trial).next() * ref.trainSeconds;
      const ckpt = path.join(dir, 'model.ckpt');
      const how = await killAfter(trainArgs(ref.processed, ckpt), delay);
      const resumable = fs.existsSync(ckpt);
      return {
        args: [...trainArgs(ref.processed, ckpt), ...(resumable ? ['--load-model', ckpt] : []), '--log-level', 'warn'],
        env,
        note: `${how} at ${delay.toFixed(2)} s of ${ref.trainSeconds.toFixed(2)}; ${resumable ? 'resumed from its checkpoint' : 'no checkpoint yet: fresh run'}`,
        expectExit: 0,
        check: (r) => {
          if (r.status !== 0) return `the resumed run failed (${how} after ${delay.toFixed(2)} s): ${r.stderr}`;
          const got = evalJson(ref.processed, ckpt);
          return got === ref.trainEval
            ? undefined
            : `final model differs from the uninterrupted run's:\n  ${got}\n  ${ref.trainEval}`;
        },
      };
    },
  };
}

/** `n` kill trials of each kind; `seed` draws the kill moments. */
export function killResumeCases(n: number, seed: number): FaultCase[] {
  return Array.from({ length: n }, (_, i) => [preprocessKillCase(i + 1, seed), trainKillCase(i + 1, seed)]).flat();
}
