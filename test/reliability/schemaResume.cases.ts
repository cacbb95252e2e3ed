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
import { type FaultCase, type FaultRun, runDlrm } from './faultCase';
import { killAfter, outputDifferences } from './killResume.cases';

/** Reproducible manifests (createdAt) so runs compare byte for byte. */
const env = { SOURCE_DATE_EPOCH: '1700000000' };

interface Reference {
  raw: string;
  schema: string;
  processed: string;
  /** Wall seconds of the uninterrupted run, the range kill delays are drawn from. */
  seconds: number;
}

let reference: Reference | undefined;

const preprocessArgs = (ref: { raw: string; schema: string }, out: string): string[] => [
  'preprocess',
  '--schema',
  ref.schema,
  '--raw-data-file',
  ref.raw,
  '--processed-data-file',
  out,
  '--workers',
  '2',
  '--min-frequency',
  '2',
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
  const t0 = Date.now();
  const r = runDlrm([...preprocessArgs({ raw, schema }, processed), '--log-level', 'warn'], { env });
  if (r.status !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  reference = { raw, schema, processed, seconds: (Date.now() - t0) / 1000 };
  return reference;
}

/** A --schema preprocess killed after a drawn delay, then resumed (`--resume` when an interrupted run is left). */
export function schemaKillCase(trial: number, seed: number): FaultCase {
  return {
    name: `preprocess --schema killed with SIGKILL at a random moment (trial ${trial}), then resumed: byte-identical outputs`,
    kind: 'kill-resume',
    async prepare(dir: string): Promise<FaultRun> {
      const ref = getReference();
      const delay = 0.1 + new Rng(seed + trial).next() * ref.seconds;
      const out = path.join(dir, 'logs.dlrm');
      const how = await killAfter(preprocessArgs(ref, out), delay);
      const partial = fs.readdirSync(dir).some((n) => n.endsWith('.partial'));
      if (fs.existsSync(out)) {
        return {
          args: ['inspect', '--processed-data-file', out],
          expectExit: 0,
          note: `finished before the kill at ${delay.toFixed(2)} s`,
          check: () => outputDifferences(ref.processed, out),
        };
      }
      return {
        args: [...preprocessArgs(ref, out), ...(partial ? ['--resume'] : []), '--log-level', 'warn'],
        env,
        note: `${how} at ${delay.toFixed(2)} s of ${ref.seconds.toFixed(2)}; ${partial ? 'resumed with --resume' : 'nothing saved yet: rerun'}`,
        expectExit: 0,
        check: (r) =>
          r.status !== 0
            ? `the resuming run failed (${how} after ${delay.toFixed(2)} s): ${r.stderr}`
            : outputDifferences(ref.processed, out),
      };
    },
  };
}

/** `n` kill trials; `seed` draws the kill moments. */
export function schemaResumeCases(n: number, seed: number): FaultCase[] {
  return Array.from({ length: n }, (_, i) => schemaKillCase(i + 1, seed));
}
