// Resume state of an interrupted `dlrm preprocess`, Criteo preset or custom schema (docs/PREPROCESS.md,
// "Resume"). The run works in a hidden folder beside the output; after each completed day (or group of days:
// a date or random split's days are completed together) it holds that day's committed shard, the
// vocabulary files extended with the day's new values, and checkpoint.json (written atomically last) with
// what is done. A resumed run checks that options, schema and inputs are unchanged and that every completed
// shard is intact, truncates the vocabulary files to the checkpointed sizes (a crash may have appended
// more), rebuilds the hash tables from them and continues with the next day.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { changeLine } from '../util/quote';
import { ProcessedFileReader } from '../dataset/processedFile';
import type { ColumnSchema } from '../rawformat/schema';
import type { PreprocessOptions } from '../dataset/manifest';

export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'checkpoint.json';

/** The shard file of the run's `index`-th day (0-based; the holdout is the last). */
export const shardName = (index: number): string => `day_${index}.dlrm`;

export interface DayCheckpoint {
  name: string;
  rows: number;
  /** Input lines of the day (a schema's days, routed row by row rather than cut by lines: their rows). */
  lines: number;
  /** Invalid lines skipped (a schema run counts them all on its first day, as its manifest does). */
  invalidLines: number;
  /** sha256 of the day's source file (Terabyte days; Kaggle hashes train.txt as a whole). */
  sha256?: string;
  /** A holdout of test rows then val rows (date split with `val`, random split): its test rows. */
  testRows?: number;
}

export interface Checkpoint {
  version: number;
  /** Everything that must be identical for a resume: schema, options, input files and sizes. */
  fingerprint: {
    schema: ColumnSchema;
    options: PreprocessOptions;
    inputs: { path: string; bytes: number; sha256?: string }[];
  };
  /** Completed days, in order. */
  days: DayCheckpoint[];
  /** Vocabulary sizes (values in each table's vocabulary file) after the last completed day. */
  vocabSizes: number[];
  /** Per table, the index of the raw value 0 (the missing value), -1 when not seen yet. */
  zeroIndex: number[];
  /** When the run started (ISO), so a resumed run writes the same createdAt. */
  createdAt: string;
}

export function saveCheckpoint(workDir: string, cp: Checkpoint): void {
  writeFileAtomic(path.join(workDir, CHECKPOINT_FILE), JSON.stringify(cp, null, 1));
}

/** The checkpoint of an interrupted run in workDir, or undefined when it completed no day yet. */
export function loadCheckpoint(workDir: string): Checkpoint | undefined {
  const file = path.join(workDir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return undefined;
  const cp = JSON.parse(fs.readFileSync(file, 'utf8')) as Checkpoint;
  if (cp.version !== CHECKPOINT_VERSION)
    throw new UserError(
      `${file}: checkpoint version ${cp.version} is not ${CHECKPOINT_VERSION}; delete ${workDir} and start again`,
    );
  return cp;
}

/** The flag that sets each preprocess option, to name a difference by it. */
const OPTION_FLAGS: Record<keyof PreprocessOptions, string> = {
  dataSet: '--data-set',
  maxIndRange: '--max-ind-range',
  dataSubSampleRate: '--data-sub-sample-rate',
  dataRandomize: '--data-randomize',
  minFrequency: '--min-frequency',
  skipInvalidLines: '--skip-invalid-lines',
  seed: '--seed',
};

/** What differs between an interrupted run's fingerprint and this run's, one line each (empty when equal). */
export function fingerprintDifferences(was: Checkpoint['fingerprint'], now: Checkpoint['fingerprint']): string[] {
  const out: string[] = [];
  const differing = <T extends object>(a: T, b: T): (keyof T & string)[] =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (k) => JSON.stringify(a[k as keyof T]) !== JSON.stringify(b[k as keyof T]),
    ) as (keyof T & string)[];
  for (const k of differing(was.options, now.options))
    out.push(changeLine(OPTION_FLAGS[k] ?? k, was.options[k], now.options[k]));
  for (const k of differing(was.schema, now.schema)) out.push(changeLine(`schema ${k}`, was.schema[k], now.schema[k]));
  for (let i = 0; i < Math.max(was.inputs.length, now.inputs.length); i++) {
    const a = was.inputs[i],
      b = now.inputs[i];
    if (a?.path !== b?.path) out.push(changeLine(`input ${i + 1}`, a?.path, b?.path));
    else if (a.bytes !== b.bytes) out.push(`input ${a.path}: size changed (was ${a.bytes} bytes, now ${b.bytes})`);
    else if (a.sha256 !== b.sha256) out.push(`input ${a.path}: content changed (same size, another sha256)`);
  }
  return out;
}

/** Refuses to resume when the run's schema, options or inputs differ from the checkpoint's, naming each difference on its own line. */
export function checkFingerprint(workDir: string, cp: Checkpoint, now: Checkpoint['fingerprint']): void {
  const diffs = fingerprintDifferences(cp.fingerprint, now);
  if (diffs.length === 0) return;
  throw new UserError(
    `--resume: the interrupted run in ${workDir} differs from this one (rerun with its options and inputs, or delete ${workDir}):\n${diffs.map((d) => `  ${d}`).join('\n')}`,
  );
}

/** Checks that each completed day's shard exists with its recorded rows. */
export function verifyShards(workDir: string, cp: Checkpoint): void {
  cp.days.forEach((d, i) => {
    const file = path.join(workDir, shardName(i));
    if (!fs.existsSync(file))
      throw new UserError(
        `--resume: ${file} is missing although the checkpoint lists ${d.name} as done; delete ${workDir} and start again`,
      );
    const reader = ProcessedFileReader.open(file);
    try {
      if (reader.rows !== d.rows)
        throw new UserError(
          `--resume: ${file} holds ${reader.rows} rows, the checkpoint says ${d.rows}; delete ${workDir} and start again`,
        );
    } finally {
      reader.close();
    }
  });
}

/**
 * Removes files of the work folder but the checkpoint, the vocabularies and the completed days' shards
 * (shards of unfinished days, temporary files of a crash, rendered Parquet rows).
 */
export function removeStrayFiles(workDir: string, cp: Checkpoint | undefined, vocabDir: string): void {
  const keep = new Set([CHECKPOINT_FILE, vocabDir, ...(cp?.days ?? []).map((_, i) => shardName(i))]);
  for (const name of fs.readdirSync(workDir)) {
    if (!keep.has(name)) fs.rmSync(path.join(workDir, name), { recursive: true, force: true });
  }
  for (const name of fs.readdirSync(path.join(workDir, vocabDir))) {
    if (name.startsWith('.')) fs.rmSync(path.join(workDir, vocabDir, name), { force: true });
  }
}
