// Kill -9 at a random moment of a --schema preprocess, then resume: the fault cases for "a custom-schema
// run loses nothing on a crash and can be resumed" (the Criteo twin is killResume.cases.ts). prepare()
// makes the log fixture (multi-hot tags, standardize, string keys; a 7-block split, so days are
// checkpointed during the run) and an uninterrupted reference run once per process, starts the same run,
// kills it with SIGKILL after a drawn delay and returns the resuming run (or the plain rerun when nothing
// resumable was left, or the published output when the run had finished); the check compares every output
// file with the reference's, byte for byte.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/sharedData';
import { Rng } from '../../src/util/random';
import { LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import type { FaultCase, FaultRun } from './faultCase';
import { killedPreprocessRun, mustRun, preprocessArgs } from './killResume.cases';

interface Reference {
  raw: string;
  schema: string;
  processed: string;
  /** Wall seconds of the uninterrupted run, the range kill delays are drawn from. */
  seconds: number;
}

let reference: Reference | undefined;

const schemaArgs = (ref: { raw: string; schema: string }, out: string): string[] => [
  ...preprocessArgs(ref.raw, out),
  '--schema',
  ref.schema,
];

/** The reference input and run, made on first use and removed at exit. */
function getReference(): Reference {
  if (reference) return reference;
  const dir = tempDir('schema-fault-ref');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  // ~16 MB: four 4 MiB parse blocks, so the 7 days are checkpointed one group after another
  const raw = path.join(dir, 'logs.csv');
  fs.writeFileSync(raw, logCsv(logRows(400_000, 13)));
  const schema = writeJson(path.join(dir, 'schema.json'), {
    ...LOG_SCHEMA,
    columns: LOG_SCHEMA.columns.map((c) => (c === 'day' ? 'ignore' : c)),
    split: { by: 'blocks', blocks: 7 },
  });
  const processed = path.join(dir, 'ref', 'logs.dlrm');
  fs.mkdirSync(path.dirname(processed));
  reference = { raw, schema, processed, seconds: mustRun(schemaArgs({ raw, schema }, processed)) };
  return reference;
}

/** A --schema preprocess killed after a drawn delay, then resumed (`--resume` when an interrupted run is left). */
export function schemaKillCase(trial: number, seed: number): FaultCase {
  return {
    name: `preprocess --schema killed with SIGKILL at a random moment (trial ${trial}), then resumed: byte-identical outputs`,
    kind: 'kill-resume',
    prepare(dir: string): Promise<FaultRun> {
      const ref = getReference();
      const delay = 0.1 + new Rng(seed + trial).next() * ref.seconds;
      const args = (out: string): string[] => schemaArgs(ref, out);
      return killedPreprocessRun(dir, path.join(dir, 'logs.dlrm'), args, ref.processed, delay, ref.seconds);
    },
  };
}

/** `n` kill trials; `seed` draws the kill moments. */
export function schemaResumeCases(n: number, seed: number): FaultCase[] {
  return Array.from({ length: n }, (_, i) => schemaKillCase(i + 1, seed));
}
