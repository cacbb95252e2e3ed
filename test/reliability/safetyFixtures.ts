// Shared inputs of the output-safety, disk-full and concurrency cases, built once per test process in a
// temporary folder removed at exit: a generated Criteo-shaped raw file, its processed dataset, a small
// checkpoint trained on it and that run's metrics file. Plus helpers to make a small full file system
// (tmpfs, root only), to list temporary files, and to run a case's child as an unprivileged user.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateTextFile } from '../../src/criteo/generatorText';
import { loadProfile } from '../../src/criteo/generatorProfile';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { runDlrm } from './faultCase';

export interface SafetyData {
  dir: string;
  /** 3000 generated labelled lines. */
  raw: string;
  /** raw preprocessed (parts in processed + '.parts'). */
  processed: string;
  checkpoint: string;
  metrics: string;
}

let built: Promise<SafetyData> | undefined;

/** The shared fixtures (built on first use). */
export function safetyData(): Promise<SafetyData> {
  built ??= (async () => {
    const dir = tempDir('safety-data');
    fs.chmodSync(dir, 0o755); // readable by the EACCES cases' unprivileged child
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const raw = path.join(dir, 'train.txt');
    await generateTextFile({
      profile: loadProfile('kaggle'),
      rows: 3000,
      out: raw,
      seed: 3,
      withLabel: true,
      workers: 1,
    });
    const processed = path.join(dir, 'train.dlrm');
    const checkpoint = path.join(dir, 'm.ckpt');
    const metrics = path.join(dir, 'm.jsonl');
    for (const args of [
      ['preprocess', '--raw-data-file', raw, '--log-level', 'warn'],
      [
        'train',
        '--processed-data-file',
        processed,
        ...SMALL_MODEL,
        '--num-batches',
        '4',
        '--save-model',
        checkpoint,
        '--metrics-file',
        metrics,
        '--log-level',
        'warn',
      ],
    ]) {
      const r = runDlrm(args);
      if (r.status !== 0) throw new Error(`fixture: dlrm ${args.join(' ')} failed:\n${r.stderr}`);
    }
    return { dir, raw, processed, checkpoint, metrics };
  })();
  return built;
}

/** Flags of a tiny model that trains in well under a second. */
export const SMALL_MODEL = [
  '--mini-batch-size',
  '128',
  '--arch-sparse-feature-size',
  '4',
  '--arch-mlp-bot',
  '13-4',
  '--arch-mlp-top',
  '8-1',
];

/** Why tmpfs cases cannot run here, or undefined. */
export function tmpfsSkip(): string | undefined {
  if (process.platform !== 'linux') return 'a small tmpfs needs Linux';
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  return undefined;
}

/**
 * Mounts a tmpfs of `kib` KiB at `at` (created); with `fill`, a filler file then takes every free block,
 * so any write fails with ENOSPC.
 */
export function mountSmallDisk(at: string, kib: number, fill = false): void {
  fs.mkdirSync(at, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', at]);
  if (!fill) return;
  const fd = fs.openSync(path.join(at, 'filler'), 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Unmounts what mountSmallDisk mounted (when mounted). */
export function unmountSmallDisk(at: string): void {
  spawnSync('umount', [at]);
}

/** Temporary files (`.NAME.tmp-PID`), shuffle folders, lock files and reading markers left in `dir`; a run must leave none of them (a preprocess work folder may stay, for --resume). */
export function leftovers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => /\.tmp-\d+$|\.lock$|\.shuffle-\d+$|\.reading-\d+$/.test(n));
}

/** The check that `dir` holds no leftovers (for FaultRun.check). */
export function noLeftovers(...dirs: string[]): () => string | undefined {
  return () => {
    const left = dirs.flatMap((d) => leftovers(d).map((n) => path.join(d, n)));
    return left.length ? `left behind: ${left.join(', ')}` : undefined;
  };
}

/** A preload that makes the child drop root for the user `nobody` (so permissions apply to it). */
export const AS_NOBODY = path.join(__dirname, 'asNobody.js');

let nobodySkip: string | undefined | null = null;

/**
 * Why a CLI child cannot run as `nobody` here (undefined when it can, or when not root: then the child
 * keeps its own user): the repository must be reachable by others, which a clone inside a private folder
 * (e.g. one made by mktemp -d) is not.
 */
export function asNobodySkip(): string | undefined {
  if (nobodySkip !== null) return nobodySkip;
  if (process.getuid?.() !== 0) return (nobodySkip = undefined);
  const cli = path.join(repoRoot(), 'dist', 'src', 'cli', 'main.js');
  const probe = `require(${JSON.stringify(AS_NOBODY)}); require('node:fs').accessSync(${JSON.stringify(cli)}, require('node:fs').constants.R_OK)`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  nobodySkip =
    r.status === 0
      ? undefined
      : `user nobody cannot read ${cli} (a parent folder of the repository is private), so no non-root reader can be shown an unreadable input`;
  return nobodySkip;
}
