// Benchmark (not a test): the native CPU engine against PyTorch on the same network and data, printed side
// by side. Kaggle architecture (13-512-256-64-16, 26 tables of dim 16 with the Kaggle cardinalities, dot
// interaction, 367-512-256-1, BCE, SGD), B=128 and B=2048, on Criteo-shaped synthetic rows that are first
// written to a processed file and then read back through the loader's read-ahead path while training
// (so data loading is included); PyTorch (scripts/bench_torch.py, /usr/bin/python3) gets the same rows from
// memory. Then the sparse tier alone: 26 tables of R rows x 16, B=2048, forward + backward + sparse SGD.
// Usage: node dist/scripts/bench-native.js [--steps-small 150] [--steps-large 10] [--sparse-rows 10000000]
//        [--max-table-rows N] [--skip-sparse] [--skip-torch] [--threads 0]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Batch } from '../src/dataset/batch';
import { sliceBatch } from '../src/dataset/batchRows';
import { readAheadChunks } from '../src/dataset/loader';
import { ProcessedFileReader, ProcessedFileWriter } from '../src/dataset/processedFile';
import { syntheticSource } from '../src/dataset/syntheticSource';
import { loadProfile } from '../src/criteo/generatorProfile';
import { NativeEngine } from '../src/engine/native/nativeEngine';
import { loadNativeAddon } from '../src/engine/native/nativeAddon';
import { cacheAlignedFloat32Array } from '../src/engine/native/cacheAligned';
import type { DlrmArch } from '../src/model/arch';
import { allocOptimizerState } from '../src/model/allocOptimizerState';
import { initDlrmParams } from '../src/model/initParams';
import { lookahead } from '../src/train/lookahead';

const TORCH_PYTHON = '/usr/bin/python3';
const WARMUP = 3;
const SPARSE_TABLES = 26;
const DIM = 16;

const { values: opts } = parseArgs({
  options: {
    'steps-small': { type: 'string', default: '150' },
    'steps-large': { type: 'string', default: '10' },
    'sparse-rows': { type: 'string', default: '10000000' },
    'sparse-steps': { type: 'string', default: '20' },
    'max-table-rows': { type: 'string', default: '0' },
    threads: { type: 'string', default: '0' },
    'skip-sparse': { type: 'boolean', default: false },
    'skip-torch': { type: 'boolean', default: false },
    'only-sparse-native': { type: 'boolean', default: false },
  },
});
const num = (k: keyof typeof opts): number => Number(opts[k]);

function torchAvailable(): string | undefined {
  if (opts['skip-torch']) return 'skipped (--skip-torch)';
  const r = spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${TORCH_PYTHON} has no torch (Debian: apt-get install python3-torch); PyTorch baseline skipped`;
}

function runTorch(args: string[]): Record<string, unknown> | undefined {
  const r = spawnSync(TORCH_PYTHON, [path.join(__dirname, '..', '..', 'scripts', 'bench_torch.py'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) {
    console.log(`PyTorch baseline failed: ${r.stderr.trim().split('\n').pop()}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
}

function kaggleArch(maxTableRows: number): DlrmArch {
  const sizes = loadProfile('kaggle').categorical.map((c) => (maxTableRows > 0 ? Math.min(c.cardinality, maxTableRows) : c.cardinality));
  return { mlpBot: [13, 512, 256, 64, DIM], mlpTop: [DIM + (27 * 26) / 2, 512, 256, 1], tableSizes: sizes, embeddingDim: DIM, interaction: 'dot', interactionItself: false };
}

/** Writes `rows` synthetic rows to a processed shard and the raw dump bench_torch.py reads. */
async function writeData(arch: DlrmArch, rows: number, dir: string): Promise<{ shard: string; dump: string }> {
  const shard = path.join(dir, 'bench.dlrmproc');
  const dump = path.join(dir, 'bench.raw');
  const writer = new ProcessedFileWriter(shard, { numDense: 13, numTables: 26 });
  const dense = new Float32Array(rows * 13), labels = new Float32Array(rows), idx = new Uint32Array(26 * rows);
  let at = 0;
  for await (const b of syntheticSource({ tableSizes: arch.tableSizes, rows, seed: 1 }).batches(8192)) {
    writer.append(b.labels, b.dense, b.sparse);
    dense.set(b.dense, at * 13);
    labels.set(b.labels, at);
    b.sparse.forEach((bag, t) => {
      if (bag.indices.length !== b.size) throw new Error('synthetic rows are expected to be one-hot');
      idx.set(bag.indices, t * rows + at);
    });
    at += b.size;
  }
  writer.commit({ bench: true });
  const fd = fs.openSync(dump, 'w');
  for (const a of [dense, labels, idx]) fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  fs.closeSync(fd);
  return { shard, dump };
}

interface Timing {
  /** Wall-clock ms per step. */
  ms: number;
  /** CPU ms per step, all threads (robust to other load; wall >= cpu / threads). */
  cpuMs: number;
}

function startTiming(): () => Timing {
  const t0 = performance.now(), c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  };
}

const perStep = (t: Timing, steps: number): Timing => ({ ms: t.ms / steps, cpuMs: t.cpuMs / steps });

/** Time per training step over `steps` steps after WARMUP, batches streamed from the processed file through the trainer's lookahead (or pre-read). */
async function timeNative(engine: NativeEngine, shard: string, rows: number, B: number, steps: number, fromFile: boolean): Promise<Timing> {
  const reader = ProcessedFileReader.open(shard);
  const chunkRows = B * Math.max(1, Math.floor(reader.rowsPerGroup / B));
  async function* batches(): AsyncGenerator<Batch> {
    for (;;) {
      for await (const chunk of readAheadChunks(reader, 0, rows - (rows % B), chunkRows, 2)) {
        for (let a = 0; a + B <= chunk.size; a += B) yield sliceBatch(chunk, a, a + B);
      }
    }
  }
  let inMemory: Batch[] | undefined;
  if (!fromFile) {
    inMemory = [];
    for await (const b of batches()) {
      inMemory.push(b);
      if (inMemory.length * B >= Math.min(rows, (steps + WARMUP) * B)) break;
    }
  }
  // streamed: through the trainer's lookahead, as `dlrm train` does (the next batch is asked for between steps; chunk reads overlap the step)
  const source = inMemory ? (function* () { for (let k = 0; ; k++) yield inMemory[k % inMemory.length]; })() : lookahead(batches());
  let stop = startTiming();
  for (let k = 0; k < WARMUP + steps; k++) {
    if (k === WARMUP) stop = startTiming();
    const { value } = await source.next();
    await engine.trainStep(value as Batch, 0.01);
  }
  const t = perStep(stop(), steps);
  reader.close();
  return t;
}

/** Time per sparse-tier step (forward + backward + sparse SGD of 26 tables, B=2048 uniform indices). */
function timeNativeSparse(rows: number, steps: number, threads: number): Timing {
  const addon = loadNativeAddon().addon;
  if (!addon) throw new Error('native addon not built');
  const B = 2048;
  // laid out as the engine lays out tables: cache-line aligned, advised into huge pages before the first touch
  const table = () => {
    const chunk = cacheAlignedFloat32Array(addon, rows * DIM);
    addon.adviseHugePages(chunk);
    return { rows, dim: DIM, chunkRows: rows, chunks: [chunk.fill(0.01)] };
  };
  const tables = Array.from({ length: SPARSE_TABLES }, table);
  const bags = new addon.NativeEmbeddingBags({ tables, optimizer: 'sgd', threads });
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const offsets = Uint32Array.from({ length: B + 1 }, (_, i) => i);
  const batches = Array.from({ length: 8 }, () => tables.map(() => ({ offsets, indices: Uint32Array.from({ length: B }, () => Math.floor(rand() * rows)) })));
  const outs = tables.map(() => new Float32Array(B * DIM));
  const grads = tables.map(() => new Float32Array(B * DIM).fill(1e-3));
  let stop = startTiming();
  for (let k = 0; k < WARMUP + steps; k++) {
    if (k === WARMUP) stop = startTiming();
    bags.forward(batches[k % 8], B, outs);
    bags.update(batches[k % 8], B, grads, 0.01);
  }
  return perStep(stop(), steps);
}

function sparseRowsThatFit(): number {
  const wanted = num('sparse-rows');
  const fit = Math.floor((0.6 * os.freemem()) / (SPARSE_TABLES * DIM * 4));
  if (fit < wanted) console.log(`note: sparse tier reduced to ${fit} rows per table (free memory ${(os.freemem() / 2 ** 30).toFixed(1)} GiB)`);
  return Math.min(wanted, fit);
}

const fmt = (x: number, digits = 1) => x.toFixed(digits).padStart(9);

async function main(): Promise<void> {
  const load = loadNativeAddon();
  if (!load.addon) throw new Error(`native engine not available: ${load.reason}`);
  if (opts['only-sparse-native']) {
    console.log(JSON.stringify(timeNativeSparse(num('sparse-rows'), num('sparse-steps'), num('threads'))));
    return;
  }
  const info = load.addon.info();
  console.log(`native engine: OpenBLAS ${info.openblas.trim()} (core ${info.core}), ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const torchMissing = torchAvailable();
  if (torchMissing) console.log(`note: ${torchMissing}`);

  if (!opts['skip-sparse']) {
    const rows = sparseRowsThatFit();
    const torchSparse = torchMissing ? undefined : (runTorch(['--mode', 'sparse', '--sparse-rows', String(rows), '--sparse-steps', opts['sparse-steps'] as string]) as { sparse: { msPerStep: number; cpuMsPerStep: number } } | undefined);
    const child = spawnSync(process.execPath, [__filename, '--only-sparse-native', '--sparse-rows', String(rows), '--sparse-steps', opts['sparse-steps'] as string, '--threads', opts.threads as string], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`sparse benchmark failed: ${child.stderr}`);
    const ours = JSON.parse(child.stdout.trim().split('\n').pop() as string) as Timing;
    const theirs = torchSparse?.sparse;
    console.log(
      `sparse tier (26 tables x ${rows} rows x 16, B=2048, fwd+bwd+SGD): native ${ours.ms.toFixed(2)} ms (cpu ${ours.cpuMs.toFixed(2)}), ` +
        (theirs ? `PyTorch ${theirs.msPerStep.toFixed(2)} ms (cpu ${theirs.cpuMsPerStep.toFixed(2)}), speed-up ${(theirs.msPerStep / ours.ms).toFixed(2)}x` : 'PyTorch n/a') +
        ' (target <= 4 ms)',
    );
  }

  const arch = kaggleArch(num('max-table-rows'));
  const sSmall = num('steps-small'), sLarge = num('steps-large');
  const rows = Math.max((sSmall + WARMUP) * 128, (sLarge + WARMUP) * 2048);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-bench-'));
  try {
    console.log(`data: ${rows} Criteo-shaped synthetic rows written to a processed file (tables: ${arch.tableSizes.reduce((a, b) => a + b, 0)} rows in all)`);
    const { shard, dump } = await writeData(arch, rows, dir);
    const torch = torchMissing
      ? undefined
      : (runTorch(['--mode', 'model', '--data', dump, '--rows', String(rows), '--table-sizes', arch.tableSizes.join(','), '--steps-small', String(sSmall), '--steps-large', String(sLarge), '--warmup', String(WARMUP)]) as Record<string, { msPerStep: number; cpuMsPerStep: number; samplesPerSec: number }> | undefined);
    const params = initDlrmParams(arch, 1);
    const engine = new NativeEngine({ arch, optimizer: 'sgd', loss: 'bce', lossWeights: [1, 1], lossThreshold: 0 }, params, allocOptimizerState(params, 'sgd'), { threads: num('threads') });
    console.log('    batch   native ms  (in memory)   (cpu ms)   samples/s    torch ms    (cpu ms)   samples/s   ratio   target');
    for (const [B, steps, target] of [[128, sSmall, 2], [2048, sLarge, 1.5]] as const) {
      const file = await timeNative(engine, shard, rows, B, steps, true);
      const mem = await timeNative(engine, shard, rows, B, steps, false);
      const t = torch?.[`b${B}`];
      const na = '      n/a';
      const ratio = t ? fmt(t.msPerStep / file.ms, 2) + 'x' : na;
      console.log(
        `${String(B).padStart(9)} ${fmt(file.ms, 2)}   ${fmt(mem.ms, 2)}   ${fmt(file.cpuMs, 2)}   ${fmt((B * 1000) / file.ms, 0)} ` +
          `${t ? fmt(t.msPerStep, 2) : na}   ${t ? fmt(t.cpuMsPerStep, 2) : na}   ${t ? fmt(t.samplesPerSec, 0) : na} ${ratio}  >= ${target}x`,
      );
    }
    engine.dispose();
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`(native ms: batches streamed from the processed file through readAheadChunks + the trainer's lookahead; in memory: the same batches pre-read; torch: in-memory tensors, ${torch ? `torch ${String(torch.torch)}, ${String(torch.threads)} thread(s)` : 'not run'})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
