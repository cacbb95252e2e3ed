// Resume of a --schema run for real: the CLI is killed with SIGKILL at several points (before any
// checkpoint, after some completed days of a blocks split, after every day of a split was written but
// before publishing), and the rerun with --resume must finish with every output byte-identical to an
// uninterrupted run's: shards, u64/u32 vocabularies, manifest and merged file. Schemas: the log fixture
// (multi-hot tags, standardize, string keys) with a 7-block split, and with a date split holding out test
// then val; and Parquet input (rendered again by the resumed run). A resume with another schema or a
// changed input is refused, naming the difference.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { CLICK_SCHEMA, clickRows, writeClickParquet } from '../rawformat/fixtures';
import { outputBytes } from './fixtures';

const dir = tempDir('custom-resume');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const cli = path.join(repoRoot(), 'bin', 'dlrm.js');
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };

// 4 MiB parse blocks: about 4 blocks, so the 7 block-split days are checkpointed over the run
const raw = path.join(dir, 'logs.csv');
fs.writeFileSync(raw, logCsv(logRows(400_000, 9)));
const noDate = LOG_SCHEMA.columns.map((c) => (c === 'day' ? 'ignore' : c));
const blocksSchema = writeJson(path.join(dir, 'blocks.json'), {
  ...LOG_SCHEMA,
  columns: noDate,
  split: { by: 'blocks', blocks: 7 },
});
const dateSchema = writeJson(path.join(dir, 'date.json'), {
  ...LOG_SCHEMA,
  split: { by: 'date', column: 'day', test: '2024-01-05', val: '2024-01-06' },
});

const args = (schema: string, input: string, out: string): string[] => [
  'preprocess',
  '--schema',
  schema,
  '--raw-data-file',
  input,
  '--processed-data-file',
  out,
  '--min-frequency',
  '2',
  '--workers',
  '2',
];

const dlrm = (a: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [cli, ...a, '--log-level', 'info'], { env, encoding: 'utf8' });

/** An uninterrupted run's outputs, made once per schema and input. */
const references = new Map<string, Map<string, Buffer>>();
function reference(schema: string, input: string): Map<string, Buffer> {
  const key = `${schema}|${input}`;
  const known = references.get(key);
  if (known) return known;
  const out = path.join(dir, `ref-${references.size}`, 'x.dlrm');
  fs.mkdirSync(path.dirname(out));
  const r = dlrm(args(schema, input, out));
  assert.equal(r.status, 0, r.stderr);
  const bytes = outputBytes(out);
  references.set(key, bytes);
  return bytes;
}

/** The days a run's checkpoint lists as done (-1: no checkpoint yet; undefined: no work folder). */
function daysDone(work: string): number | undefined {
  if (!fs.existsSync(work)) return undefined;
  try {
    return (JSON.parse(fs.readFileSync(path.join(work, 'checkpoint.json'), 'utf8')) as { days: unknown[] }).days.length;
  } catch {
    return -1; // none yet (or being renamed into place this instant)
  }
}

/** Starts the run, SIGKILLs it once `when(daysDone)` holds; returns the days done at the kill. */
async function killWhen(a: string[], work: string, when: (days: number) => boolean): Promise<number> {
  const child = spawn(process.execPath, [cli, ...a], { env, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let seen: number | undefined;
  while (child.exitCode === null) {
    seen = daysDone(work);
    if (seen !== undefined && when(seen)) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', `the run finished before the kill point (days done: ${seen})`);
  return daysDone(work) ?? -1;
}

let trial = 0;
/** Kills a run at the point `when` selects, resumes it, and compares with the uninterrupted run. */
async function killAndResume(
  schema: string,
  input: string,
  when: (days: number) => boolean,
  expectDays: (days: number) => boolean,
): Promise<{ out: string; killedAt: number }> {
  const want = reference(schema, input);
  const out = path.join(dir, `killed-${trial++}`, 'x.dlrm');
  fs.mkdirSync(path.dirname(out));
  const work = path.join(path.dirname(out), '.x.dlrm.parts.partial');
  const killedAt = await killWhen(args(schema, input, out), work, when);
  assert.ok(expectDays(killedAt), `killed with ${killedAt} days checkpointed`);
  assert.ok(!fs.existsSync(out) && !fs.existsSync(`${out}.parts`), 'no final output after the kill');

  const again = dlrm(args(schema, input, out));
  assert.equal(again.status, 2);
  assert.match(again.stderr, /holds an interrupted run .* rerun with --resume/);

  const resumed = dlrm([...args(schema, input, out), '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    killedAt > 0 ? /--resume: continuing after (day_\d|holdout)/ : /--resume: no completed day to resume from/,
  );
  assert.ok(!fs.existsSync(work), 'the work folder is gone');
  const got = outputBytes(out);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, v] of want) assert.ok(v.equals(got.get(k) as Buffer), `${k} differs after resume`);
  return { out, killedAt };
}

test('blocks split: killed before any checkpoint, then --resume starts over: byte-identical', async () => {
  await killAndResume(
    blocksSchema,
    raw,
    (days) => days === -1,
    (days) => days === -1,
  );
});

test('blocks split: killed after some completed days, then --resume: byte-identical', async () => {
  await killAndResume(
    blocksSchema,
    raw,
    (days) => days >= 2,
    (days) => days >= 2 && days < 7,
  );
});

test('date split with val: killed after every day was written (publishing), then --resume: byte-identical', async () => {
  await killAndResume(
    dateSchema,
    raw,
    (days) => days > 0,
    // 4 training dates and the holdout: written all at once (the dates' rows interleave)
    (days) => days === 5,
  );
});

test('--resume refuses another schema or a changed input, naming the difference', async () => {
  const out = path.join(dir, 'refuse', 'x.dlrm');
  fs.mkdirSync(path.dirname(out));
  const work = path.join(path.dirname(out), '.x.dlrm.parts.partial');
  const input = path.join(dir, 'refuse.csv');
  fs.copyFileSync(raw, input);
  await killWhen(args(blocksSchema, input, out), work, (days) => days >= 1);

  const otherSchema = writeJson(path.join(dir, 'blocks5.json'), {
    ...LOG_SCHEMA,
    columns: noDate,
    split: { by: 'blocks', blocks: 5 },
  });
  const schemaChanged = dlrm([...args(otherSchema, input, out), '--resume']);
  assert.equal(schemaChanged.status, 2);
  assert.match(
    schemaChanged.stderr,
    /^dlrm: --resume: the interrupted run in .* differs from this one .*:\n {2}schema split: was '\{"by":"blocks","blocks":7\}', now '\{"by":"blocks","blocks":5\}'\n$/m,
  );

  fs.appendFileSync(input, '1,,3.5,fr,user-1,news\n');
  const inputChanged = dlrm([...args(blocksSchema, input, out), '--resume']);
  assert.equal(inputChanged.status, 2);
  assert.match(inputChanged.stderr, /^ {2}input .*refuse\.csv: size changed \(was \d+ bytes, now \d+\)$/m);
  assert.ok(fs.existsSync(work), 'a refused resume keeps the interrupted run');
});

test('Parquet input: killed after some completed days, then --resume renders it again: byte-identical', async () => {
  const parquet = path.join(dir, 'clicks.parquet');
  await writeClickParquet(parquet, clickRows(150_000, 4), 20_000);
  const schema = writeJson(path.join(dir, 'click-blocks.json'), {
    ...CLICK_SCHEMA,
    columns: CLICK_SCHEMA.columns.map((c) => (c === 'ts' ? 'ignore' : c)),
    split: { by: 'blocks', blocks: 7 },
  });
  const { out } = await killAndResume(
    schema,
    parquet,
    (days) => days >= 1,
    (days) => days >= 1 && days < 7,
  );
  assert.ok(!fs.readdirSync(path.dirname(out)).some((n) => n.includes('parquet-rows')), 'no rendered rows left');
});
