// Benchmark of the processed-file path: sequential batch reads through the split loader (B=128 and
// B=2048) and buildMergedFile (randomize none / total), on generated Criteo-shaped rows (13 dense, 26
// tables, one index per bag) in a temporary folder. Prints rows/s and MB/s (file bytes); the files were
// just written, so reads mostly hit the page cache: this measures the loader's own cost, with and without
// the per-row-group checks (checksum and values) of the first read.
// Run: npx tsc -p . && node dist/scripts/bench-loader.js [--rows 1000000] [--merge-rows 3000000] [--repeats 5]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openProcessedSplit } from '../src/dataset/loader';
import { buildMergedFile, mergedSplits } from '../src/dataset/mergedFile';
import { ProcessedFileWriter } from '../src/dataset/processedFile';
import { Rng } from '../src/util/random';

const NUM_DENSE = 13;
const NUM_TABLES = 26;
const BLOCK = 65_536;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Writes `rows` random Criteo-shaped rows to `file` with `metadata`; returns the file size. */
function writeRandomShard(file: string, rows: number, rng: Rng, metadata: object): number {
  const writer = new ProcessedFileWriter(file, { numDense: NUM_DENSE, numTables: NUM_TABLES });
  const offsets = Uint32Array.from({ length: BLOCK + 1 }, (_, i) => i);
  for (let done = 0; done < rows; done += BLOCK) {
    const n = Math.min(BLOCK, rows - done);
    const labels = Float32Array.from({ length: n }, () => (rng.next() < 0.25 ? 1 : 0));
    const dense = Float32Array.from({ length: n * NUM_DENSE }, () => rng.next() * 5);
    const bags = Array.from({ length: NUM_TABLES }, () => ({
      offsets: offsets.subarray(0, n + 1),
      indices: Uint32Array.from({ length: n }, () => rng.nextInt(100_000)),
    }));
    writer.append(labels, dense, bags);
  }
  writer.commit(metadata);
  return fs.statSync(file).size;
}

/** Wall and CPU (user + system, all threads) seconds of `work`. */
async function timed(work: () => Promise<void>): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

/** One result line: throughput by wall time, and the CPU seconds (a loaded machine inflates only the wall time). */
function report(what: string, rows: number, bytes: number, t: { wall: number; cpu: number }): void {
  console.log(
    `${what.padEnd(34)} ${(rows / t.wall / 1e6).toFixed(2).padStart(6)} M rows/s ${(bytes / t.wall / 1e6).toFixed(0).padStart(5)} MB/s` +
      `  (${rows.toLocaleString('en-US')} rows, ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s cpu)`,
  );
}

/** One sequential pass over the train split: wall and CPU seconds. */
async function loaderPass(
  file: string,
  rows: number,
  batchSize: number,
  verify: boolean,
): Promise<{ wall: number; cpu: number }> {
  const source = openProcessedSplit(file, 'train', { readAhead: 2, verify });
  let seen = 0;
  let labelSum = 0;
  const t = await timed(async () => {
    for await (const batch of source.batches(batchSize)) {
      seen += batch.size;
      labelSum += batch.labels[0]; // touch the data
    }
  });
  source.close();
  if (seen !== rows || labelSum < 0) throw new Error(`loader returned ${seen} rows, expected ${rows}`);
  return t;
}

/**
 * Sequential reads without and with verification (each row group's CRC-32 and value checks on its first
 * read: one pass is all first reads), alternated `repeats` times; the fastest pass of each is reported,
 * and the cost of verifying as a share of the unverified throughput.
 */
async function benchLoader(dir: string, rows: number, repeats: number): Promise<void> {
  const file = path.join(dir, 'loader.bin');
  const tables = Array.from({ length: NUM_TABLES }, (_, t) => ({
    name: `C${t + 1}`,
    count: 100_000,
    oovIndex: 0,
    vocabFile: '',
  }));
  const bytes = writeRandomShard(file, rows, new Rng(1), {
    numDense: NUM_DENSE,
    tables,
    splits: mergedSplits(rows, 0, 0),
  });
  for (const batchSize of [128, 2048]) {
    const best = new Map<boolean, { wall: number; cpu: number }>();
    for (let k = 0; k < repeats; k++) {
      for (const verify of [false, true]) {
        const t = await loaderPass(file, rows, batchSize, verify);
        const b = best.get(verify);
        if (!b || t.wall < b.wall) best.set(verify, t);
      }
    }
    const plain = best.get(false)!;
    const checked = best.get(true)!;
    report(`loader sequential B=${batchSize} --no-verify`, rows, bytes, plain);
    report(`loader sequential B=${batchSize} verified`, rows, bytes, checked);
    const share = (a: number, b: number): string => `${a >= b ? '+' : ''}${((100 * (a - b)) / b).toFixed(1)}%`;
    console.log(
      `  verified vs --no-verify: wall ${share(checked.wall, plain.wall)}, cpu ${share(checked.cpu, plain.cpu)} (best of ${repeats} alternated passes each)`,
    );
  }
}

async function benchMerge(dir: string, rows: number): Promise<void> {
  const days = 7;
  const rng = new Rng(2);
  let bytes = 0;
  const dayFiles = Array.from({ length: days }, (_, d) => {
    const p = path.join(dir, `day_${d}.bin`);
    bytes += writeRandomShard(p, Math.floor(rows / days) + (d < rows % days ? 1 : 0), rng, { day: d });
    return p;
  });
  const lastRows = Math.floor(rows / days);
  for (const randomize of ['none', 'total'] as const) {
    const outPath = path.join(dir, `merged-${randomize}.bin`);
    const options = {
      dayFiles,
      trainDays: days - 1,
      testRows: Math.ceil(lastRows / 2),
      randomize,
      seed: 1,
      outPath,
      metadata: {},
      shuffleBucketBytes: 128 * 1024 * 1024,
    };
    const t = await timed(() => buildMergedFile(options));
    report(`buildMergedFile randomize=${randomize}`, rows, bytes, t);
    fs.rmSync(outPath);
  }
}

async function main(): Promise<void> {
  const rows = argValue('--rows', 1_000_000);
  const mergeRows = argValue('--merge-rows', 3_000_000);
  const repeats = argValue('--repeats', 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-loader-'));
  console.log(
    `bench-loader: ${NUM_DENSE} dense, ${NUM_TABLES} one-hot tables, node ${process.version}, ${os.cpus().length} cores`,
  );
  try {
    await benchLoader(dir, rows, repeats);
    await benchMerge(dir, mergeRows);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
