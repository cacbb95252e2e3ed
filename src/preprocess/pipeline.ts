// `dlrm preprocess`: raw Criteo days -> per-day processed shards + vocabularies + manifest + merged file
// (docs/PREPROCESS.md). Passes: (Kaggle) count lines and hash train.txt; (--min-frequency) count values;
// then per day: read blocks of lines -> workers parse them (round robin) -> in block order, each worker
// assigns first-appearance indices for its own range of tables -> the main thread appends rows to the day's
// shard. Block order is enforced when posting assignment requests, so output bytes never depend on timing.
// After each day: vocabularies extended, shard committed, checkpoint written (resume). Finally the merged
// file is built and the work folder renamed into place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { MANIFEST_FORMAT_VERSION, type DayInfo, type Manifest, type PreprocessOptions, type SourceFile, type TableInfo } from '../dataset/manifest';
import { buildMergedFile, mergedSplits } from '../dataset/mergedFile';
import { compileLayout, type ParserLayout } from '../criteo/parserLayout';
import type { LineError, ParsedBlock } from '../criteo/lineParser';
import { loadSchemaPreset } from '../criteo/schemaPresets';
import { kaggleDays, scanLines, terabyteDays, type HashSink, type RawDay } from '../criteo/rawSources';
import { inputError, UserError } from '../util/errors';
import { log } from '../util/log';
import { startProgress, type Progress } from '../util/progress';
import { readDayBlocks } from './dayReader';
import { PreprocessWorker } from './workerProtocol';
import { RemoteShardWriter } from './shardWriter';
import { checkFingerprint, CHECKPOINT_FILE, CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint, verifyShards, type Checkpoint } from './checkpoint';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

export interface PreprocessConfig {
  rawDataFile: string;
  /** The merged output file; default: the raw path without .gz/.txt, plus '.dlrm'. */
  processedDataFile?: string;
  dataSet: 'kaggle' | 'terabyte';
  /** > 0: categorical values modulo this; <= 0: off. */
  maxIndRange: number;
  dataSubSampleRate: number;
  dataRandomize: 'total' | 'day' | 'none';
  /** >= 2: values seen fewer times share one index per table; 0 or 1: off. */
  minFrequency: number;
  seed: number;
  skipInvalidLines: boolean;
  resume: boolean;
  /** Worker threads (>= 1). */
  workers: number;
  /** Bytes per parse block (default 4 MiB). */
  blockBytes?: number;
}

export interface PreprocessResult {
  manifest: Manifest;
  mergedFile: string;
  partsDir: string;
  lines: number;
  seconds: number;
  /** Wall seconds per phase: 'count lines', 'count values', 'days', 'merge'. */
  phases: Record<string, number>;
}

export const DEFAULT_BLOCK_BYTES = 4 << 20;
const VOCAB_DIR = 'vocab';

/** The default merged-file path: the raw path without '.gz' then '.txt', plus '.dlrm'. */
export function defaultProcessedPath(raw: string): string {
  return raw.replace(/\.gz$/, '').replace(/\.txt$/, '') + '.dlrm';
}

/** Where the outputs go: the merged file, its parts folder beside it, and the hidden work folder. */
export function outputPaths(cfg: Pick<PreprocessConfig, 'rawDataFile' | 'processedDataFile'>): { mergedFile: string; partsDir: string; workDir: string } {
  const mergedFile = path.resolve(cfg.processedDataFile ?? defaultProcessedPath(cfg.rawDataFile));
  return {
    mergedFile,
    partsDir: `${mergedFile}.parts`,
    workDir: path.join(path.dirname(mergedFile), `.${path.basename(mergedFile)}.parts.partial`),
  };
}

const shardName = (day: string): string => `${day}.dlrm`;
const vocabName = (table: string): string => `${VOCAB_DIR}/${table}.u32`;

/** Splits T tables into W contiguous partitions: bounds[p] .. bounds[p+1]. */
function partitionBounds(tables: number, workers: number): number[] {
  return Array.from({ length: workers + 1 }, (_, p) => Math.round((p * tables) / workers));
}

/** Refuses an empty input and an unlabelled (test-file) input before any work. */
async function checkFirstLine(day: RawDay, layout: ParserLayout): Promise<void> {
  for await (const block of readDayBlocks(day, 1 << 16, () => {})) {
    const nl = block.bytes.indexOf(10);
    let fields = 1;
    for (let p = 0; p < nl; p++) if (block.bytes[p] === layout.delimiter) fields++;
    if (layout.hasLabel && fields === layout.numFields - 1) {
      throw new UserError(
        `${day.file}: this is an unlabelled test file (${fields} fields per line: the features without the label, like Kaggle's test.txt); ` +
          `preprocess needs labelled training lines (${layout.numFields} fields). Unlabelled rows are scored by \`dlrm predict\`.`,
      );
    }
    return;
  }
  throw new UserError(`${day.file}: the file is empty`);
}

class Preprocessor {
  readonly layout: ParserLayout;
  readonly bounds: number[];
  readonly workers: PreprocessWorker[] = [];
  /** The worker writing day shards (not one of the parsing/vocabulary workers). */
  shardWorker: PreprocessWorker | undefined;
  private progress: Progress = { update() {}, stop() {} };
  private bytesDone = 0;
  private linesDone = 0;
  private passStarted = Date.now();

  constructor(
    readonly cfg: PreprocessConfig,
    readonly options: PreprocessOptions,
    schema: ReturnType<typeof loadSchemaPreset>,
  ) {
    this.layout = compileLayout(schema);
    const W = Math.max(1, Math.min(cfg.workers, this.layout.numTables || 1));
    this.bounds = partitionBounds(this.layout.numTables, W);
  }

  async start(): Promise<void> {
    const W = this.bounds.length - 1;
    for (let p = 0; p < W; p++) this.workers.push(new PreprocessWorker());
    this.shardWorker = new PreprocessWorker();
    await Promise.all(
      this.workers.map((w, p) =>
        w.request(
          'init',
          {
            layout: this.layout,
            parse: { maxIndRange: this.options.maxIndRange, subsampleRate: this.options.dataSubSampleRate, seed: this.options.seed, skipInvalid: this.options.skipInvalidLines, partitionBounds: this.bounds },
            numTables: this.bounds[p + 1] - this.bounds[p],
            minFrequency: this.options.minFrequency,
          },
          'ok',
        ),
      ),
    );
  }

  async stop(): Promise<void> {
    this.progress.stop();
    await Promise.all([...this.workers, ...(this.shardWorker ? [this.shardWorker] : [])].map((w) => w.terminate()));
  }

  beginPass(label: string, totalBytes: number): void {
    this.progress.stop();
    this.bytesDone = 0;
    this.linesDone = 0;
    this.passStarted = Date.now();
    this.progress = startProgress(label, Math.max(1, Math.round(totalBytes / 1e6)), 'MB', '| {lines} lines | {rate} lines/s');
  }

  /** Sets the bytes done of a pass that has no lines to count (the Kaggle line-count pass). */
  bytesProgress(done: number): void {
    this.progress.update(Math.round(done / 1e6), { lines: '-', rate: '-' });
  }

  private tick(bytes: number, lines: number): void {
    this.bytesDone += bytes;
    this.linesDone += lines;
    const seconds = Math.max((Date.now() - this.passStarted) / 1000, 1e-3);
    this.progress.update(Math.round(this.bytesDone / 1e6), { lines: this.linesDone, rate: Math.round(this.linesDone / seconds) });
  }

  /** A HashSink hashing on the first worker, so the main thread only reads and counts. */
  hashSink(): HashSink {
    const w = this.workers[0];
    return {
      update: (chunk) => {
        const bytes = chunk.buffer as ArrayBuffer;
        return w.request('hashUpdate', { bytes, byteOffset: chunk.byteOffset, length: chunk.length }, 'ok', [bytes]).then(() => undefined);
      },
      digest: () => w.request('hashDigest', {}, 'digest').then((r) => r.sha256),
    };
  }

  /** Sends the restored vocabularies (index order per table) to the workers owning them. */
  async restore(values: Uint32Array[]): Promise<void> {
    await Promise.all(this.workers.map((w, p) => w.request('restore', { values: values.slice(this.bounds[p], this.bounds[p + 1]) }, 'ok')));
  }

  /** Ends the counting pass; returns per table the number of frequent values F. */
  async finishCounting(): Promise<number[]> {
    const replies = await Promise.all(this.workers.map((w) => w.request('finishCount', {}, 'sizes')));
    return replies.flatMap((r) => r.sizes);
  }

  /** Per table: the values assigned since the last call (index order), the vocabulary sizes, and table bytes. */
  async takeNew(): Promise<{ values: Uint32Array[]; sizes: number[]; bytes: number }> {
    const replies = await Promise.all(this.workers.map((w) => w.request('takeNew', {}, 'newValues')));
    return { values: replies.flatMap((r) => r.values), sizes: replies.flatMap((r) => r.sizes), bytes: replies.reduce((s, r) => s + r.bytes, 0) };
  }

  private lineError(day: RawDay, firstLine: number, e: LineError): UserError {
    const field = e.field === undefined ? undefined : `${e.field} (${this.layout.fieldNames[e.field - 1]})`;
    return inputError({ file: day.file, line: day.firstLineNumber + firstLine + e.line, field }, e.message);
  }

  /**
   * One pass over one day: 'count' feeds the min-frequency counters, 'assign' maps values to indices and
   * appends the rows to `shard`. Returns the day's rows, lines and invalid lines.
   */
  async dayPass(day: RawDay, dayIndex: number, mode: 'count' | 'assign', shard?: RemoteShardWriter, hash?: crypto.Hash): Promise<{ rows: number; lines: number; invalidLines: number }> {
    const W = this.workers.length;
    const skip = this.options.skipInvalidLines;
    type Outcome = { block?: ParsedBlock; indices?: Uint32Array[]; firstLine: number; failure?: unknown };
    const queue: Promise<Outcome>[] = [];
    let posted: Promise<void> = Promise.resolve();
    let lines = 0, rows = 0, invalidLines = 0, blockNo = 0;
    let warned = false;

    const assignInOrder = async (parsed: Promise<{ block: ParsedBlock }>, previous: Promise<void>, markPosted: () => void, firstLine: number): Promise<Outcome> => {
      let block: ParsedBlock;
      let calls: Promise<Uint32Array | undefined>[] = [];
      try {
        block = (await parsed).block;
        await previous;
        if (!block.firstError || skip) {
          calls = block.parts.map((part, p) => {
            const body = { values: part.buffer as ArrayBuffer, capacity: block.capacity, rows: block.rows };
            return mode === 'assign'
              ? this.workers[p].request('assign', body, 'assigned', [body.values]).then((r) => new Uint32Array(r.values))
              : this.workers[p].request('count', body, 'ok', [body.values]).then(() => undefined);
          });
        }
      } finally {
        markPosted();
      }
      const indices = await Promise.all(calls);
      return { block, firstLine, indices: indices as Uint32Array[] };
    };

    const consume = async (o: Outcome): Promise<void> => {
      if (o.failure !== undefined) throw o.failure;
      const b = o.block as ParsedBlock;
      if (b.firstError) {
        const err = this.lineError(day, o.firstLine, b.firstError);
        if (!skip) throw err;
        if (!warned) log().warn({ day: day.name }, `skipping invalid lines (--skip-invalid-lines); the first: ${err.message}`);
        warned = true;
      }
      invalidLines += b.invalidLines;
      rows += b.rows;
      if (shard && b.rows > 0) await shard.append(b, o.indices as Uint32Array[]);
    };

    const onBytes = (n: number): void => this.tick(n, 0);
    for await (const block of readDayBlocks(day, this.cfg.blockBytes ?? DEFAULT_BLOCK_BYTES, onBytes, hash)) {
      const firstLine = lines;
      lines += block.lines;
      this.tick(0, block.lines);
      const buffer = block.bytes.buffer as ArrayBuffer;
      const parsed = this.workers[blockNo++ % W].request('parse', { bytes: buffer, end: block.end, day: dayIndex, firstLine, lines: block.lines }, 'parsed', [buffer]);
      const previous = posted;
      let markPosted!: () => void;
      posted = new Promise<void>((resolve) => (markPosted = resolve));
      queue.push(assignInOrder(parsed, previous, markPosted, firstLine).catch((failure: unknown) => ({ failure, firstLine })));
      while (queue.length >= 3 * W + 2) await consume(await (queue.shift() as Promise<Outcome>));
    }
    while (queue.length > 0) await consume(await (queue.shift() as Promise<Outcome>));
    if (lines === 0) throw new UserError(`${day.file}: the file is empty`);
    if (day.lines !== undefined && lines !== day.lines) throw new UserError(`${day.file}: ${day.name} has ${lines} lines, expected ${day.lines} (did the file change while being read?)`);
    return { rows, lines, invalidLines };
  }
}

/** Runs the whole preprocessing described by `cfg`. */
export async function runPreprocess(cfg: PreprocessConfig): Promise<PreprocessResult> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const endPhase = (name: string): void => {
    const now = Date.now();
    phases[name] = (now - phaseStart) / 1000;
    phaseStart = now;
  };
  const schema = loadSchemaPreset(cfg.dataSet);
  const options: PreprocessOptions = {
    dataSet: cfg.dataSet,
    maxIndRange: cfg.maxIndRange > 0 ? cfg.maxIndRange : -1,
    dataSubSampleRate: cfg.dataSubSampleRate,
    dataRandomize: cfg.dataRandomize,
    minFrequency: cfg.minFrequency > 1 ? cfg.minFrequency : 0,
    skipInvalidLines: cfg.skipInvalidLines,
    seed: cfg.seed,
  };
  const { mergedFile, partsDir, workDir } = outputPaths(cfg);
  const raw = path.resolve(cfg.rawDataFile);
  const pre = new Preprocessor(cfg, options, schema);
  const layout = pre.layout;
  const T = layout.numTables;

  // inputs
  let days: RawDay[];
  if (cfg.dataSet === 'terabyte') {
    days = terabyteDays(raw);
  } else {
    if (!fs.existsSync(raw)) throw new UserError(`${raw}: no such file`);
    if (raw.endsWith('.gz')) throw new UserError(`${raw}: Kaggle input must be the plain train.txt (decompress it first: it is read twice, to count lines and to process them)`);
    days = [{ name: 'day_0', file: raw, gzip: false, startByte: 0, endByte: fs.statSync(raw).size, firstLineNumber: 1 }];
  }
  await checkFirstLine(days[0], layout);

  // the work folder and resume state
  const freshWorkDir = !fs.existsSync(workDir);
  if (!freshWorkDir && !cfg.resume) {
    throw new UserError(`${workDir} holds an interrupted run for ${mergedFile}: rerun with --resume to continue it, or delete that folder to start again`);
  }
  fs.mkdirSync(path.join(workDir, VOCAB_DIR), { recursive: true });
  let cp = cfg.resume ? loadCheckpoint(workDir) : undefined;
  if (cfg.resume && !cp) log().info({ workDir }, '--resume: no completed day to resume from; starting at the first day');

  try {
    await pre.start();
    let kaggleSha: string | undefined;
    if (cfg.dataSet === 'kaggle') {
      pre.beginPass('counting lines', days[0].endByte);
      const scan = await scanLines(raw, pre.hashSink(), (done) => pre.bytesProgress(done));
      if (scan.lines < 7) throw new UserError(`${raw}: has ${scan.lines} lines; Kaggle preprocessing cuts it into 7 days and needs at least 7`);
      kaggleSha = scan.sha256;
      days = kaggleDays(raw, scan);
      endPhase('count lines');
      log().info({ lines: scan.lines, seconds: phases['count lines'] }, 'counted lines of train.txt');
    }
    const inputs = days
      .filter((d, i) => i === 0 || d.file !== days[i - 1].file)
      .map((d) => ({ path: d.file, bytes: fs.statSync(d.file).size, ...(kaggleSha ? { sha256: kaggleSha } : {}) }));
    const fingerprint: Checkpoint['fingerprint'] = { schema, options, inputs };
    if (cp) {
      checkFingerprint(workDir, cp, fingerprint);
      verifyShards(workDir, cp, shardName);
    }
    const createdAt = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString() : (cp?.createdAt ?? new Date(started).toISOString());
    const state: Checkpoint = cp ?? { version: CHECKPOINT_VERSION, fingerprint, days: [], vocabSizes: new Array(T).fill(0), zeroIndex: new Array(T).fill(-1), createdAt };
    state.createdAt = createdAt;
    cp = state;
    removeStrayFiles(workDir, new Set([CHECKPOINT_FILE, VOCAB_DIR, ...state.days.map((d) => shardName(d.name))]));

    const totalBytes = days.reduce((s, d) => s + d.endByte - d.startByte, 0);

    // --min-frequency: the counting pass (re-run on resume: it writes nothing)
    let frequent: number[] | undefined;
    if (options.minFrequency > 1) {
      pre.beginPass('counting values', totalBytes);
      for (let d = 0; d < days.length; d++) await pre.dayPass(days[d], d, 'count');
      frequent = await pre.finishCounting();
      endPhase('count values');
    }

    // vocabulary files: truncated to the checkpoint's sizes and replayed into the hash tables
    const vocabFds = layout.tableNames.map((name, t) => {
      const file = path.join(workDir, vocabName(name));
      const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
      const want = state.vocabSizes[t] * 4;
      if (fs.fstatSync(fd).size < want) throw new UserError(`--resume: ${file} is shorter than the checkpoint's ${state.vocabSizes[t]} values; delete ${workDir} and start again`);
      fs.ftruncateSync(fd, want);
      return fd;
    });
    let checkpointed: Promise<void> = Promise.resolve();
    try {
      if (state.days.length > 0) {
        await pre.restore(vocabFds.map((fd, t) => {
          const values = new Uint32Array(state.vocabSizes[t]);
          if (values.length > 0) fs.readSync(fd, values, 0, values.byteLength, 0);
          return values;
        }));
        log().info({ daysDone: state.days.length }, `--resume: continuing after ${state.days[state.days.length - 1].name}`);
      }

      // the assignment pass, day by day. A day's vocabulary growth is written and synced, its shard
      // committed and then its checkpoint written while the next day is already being processed.
      pre.beginPass('preprocess', days.slice(state.days.length).reduce((s, d) => s + d.endByte - d.startByte, 0));
      for (let d = state.days.length; d < days.length; d++) {
        const day = days[d];
        const hash = day.gzip || cfg.dataSet === 'terabyte' ? crypto.createHash('sha256') : undefined;
        const shard = await RemoteShardWriter.open(pre.shardWorker as PreprocessWorker, path.join(workDir, shardName(day.name)), layout.numDense, T, pre.bounds);
        let done: { rows: number; lines: number; invalidLines: number };
        try {
          done = await pre.dayPass(day, d, 'assign', shard, hash);
        } catch (err) {
          await shard.abort();
          throw err;
        }
        const fresh = await pre.takeNew();
        const writes: Promise<void>[] = [];
        fresh.values.forEach((vals, t) => {
          if (vals.length === 0) return;
          if (state.zeroIndex[t] < 0) {
            const z = vals.indexOf(0);
            if (z >= 0) state.zeroIndex[t] = state.vocabSizes[t] + z;
          }
          writes.push(writeAndSync(vocabFds[t], vals, state.vocabSizes[t] * 4));
          state.vocabSizes[t] += vals.length;
          if (state.vocabSizes[t] !== fresh.sizes[t]) throw new Error(`vocabulary ${layout.tableNames[t]}: ${state.vocabSizes[t]} values written, worker holds ${fresh.sizes[t]}`);
        });
        const committed = shard.commit({ kind: 'dlrm-day-shard', day: day.name, rows: done.rows, lines: done.lines, invalidLines: done.invalidLines, source: day.file, firstLineNumber: day.firstLineNumber, options, schema });
        state.days.push({ name: day.name, rows: done.rows, lines: done.lines, invalidLines: done.invalidLines, ...(hash ? { sha256: hash.digest('hex') } : {}) });
        const snapshot = JSON.parse(JSON.stringify(state)) as Checkpoint;
        checkpointed = Promise.all([checkpointed, committed, ...writes]).then(() => saveCheckpoint(workDir, snapshot));
        checkpointed.catch(() => undefined); // awaited below; this only marks the rejection handled meanwhile
        log().info({ day: day.name, rows: done.rows, lines: done.lines, invalidLines: done.invalidLines, vocabularyMB: Math.round(fresh.bytes / 1e6) }, 'day done');
      }
      await checkpointed;
    } finally {
      await checkpointed.catch(() => undefined);
      for (const fd of vocabFds) fs.closeSync(fd);
    }
    await pre.stop();
    endPhase('days');

    // manifest, merged file, and the parts folder moved into place
    if (frequent) {
      frequent.forEach((f, t) => {
        if (state.vocabSizes[t] !== f) throw new Error(`vocabulary ${layout.tableNames[t]}: ${state.vocabSizes[t]} frequent values assigned, ${f} counted`);
      });
    }
    const manifest = buildManifest(state, days, layout, options, schema, mergedFile, partsDir, kaggleSha);
    await buildMergedFile({
      dayFiles: days.map((d) => path.join(workDir, shardName(d.name))),
      trainDays: days.length - 1,
      testRows: manifest.splits.test.end - manifest.splits.test.start,
      randomize: options.dataRandomize,
      seed: options.seed,
      outPath: mergedFile,
      metadata: manifest,
    });
    endPhase('merge');
    fs.writeFileSync(path.join(workDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    fs.rmSync(path.join(workDir, CHECKPOINT_FILE));
    fs.rmSync(partsDir, { recursive: true, force: true });
    fs.renameSync(workDir, partsDir);

    const seconds = (Date.now() - started) / 1000;
    const lines = state.days.reduce((s, d) => s + d.lines, 0);
    log().info(
      {
        rowsPerDay: manifest.days.map((d) => d.rows),
        countsPerTable: manifest.tables.map((t) => t.count),
        invalidLines: manifest.days.reduce((s, d) => s + d.invalidLines, 0),
        seconds,
        phases,
        linesPerSec: Math.round(lines / Math.max(seconds, 1e-3)),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        mergedFile,
        partsDir,
      },
      'preprocess done',
    );
    return { manifest, mergedFile, partsDir, lines, seconds, phases };
  } catch (err) {
    await pre.stop();
    if (err instanceof UserError && freshWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Writes `values` at byte `position` of `fd` and fdatasyncs it, off the main thread (libuv pool). */
function writeAndSync(fd: number, values: Uint32Array, position: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fs.write(fd, values, 0, values.byteLength, position, (err, written) => {
      if (err) return reject(err);
      if (written !== values.byteLength) return reject(new Error(`short write to a vocabulary file (${written} of ${values.byteLength} bytes)`));
      fs.fdatasync(fd, (syncErr) => (syncErr ? reject(syncErr) : resolve()));
    });
  });
}

/** Removes files of the work folder not in `keep` (shards of unfinished days, temporary files of a crash). */
function removeStrayFiles(workDir: string, keep: Set<string>): void {
  for (const name of fs.readdirSync(workDir)) {
    if (!keep.has(name)) fs.rmSync(path.join(workDir, name), { recursive: true, force: true });
  }
  for (const name of fs.readdirSync(path.join(workDir, VOCAB_DIR))) {
    if (name.startsWith('.')) fs.rmSync(path.join(workDir, VOCAB_DIR, name), { force: true });
  }
}

function buildManifest(state: Checkpoint, days: RawDay[], layout: ParserLayout, options: PreprocessOptions, schema: Manifest['schema'], mergedFile: string, partsDir: string, kaggleSha?: string): Manifest {
  const sources: SourceFile[] = kaggleSha
    ? [{ path: days[0].file, bytes: fs.statSync(days[0].file).size, sha256: kaggleSha }]
    : days.map((d, i) => ({ path: d.file, bytes: fs.statSync(d.file).size, sha256: state.days[i].sha256 ?? '' }));
  const rare = options.minFrequency > 1;
  const tables: TableInfo[] = layout.tableNames.map((name, t) => ({
    name,
    count: state.vocabSizes[t] + (rare ? 1 : 0),
    oovIndex: rare ? state.vocabSizes[t] : Math.max(0, state.zeroIndex[t]),
    vocabFile: vocabName(name),
  }));
  const dayInfos: DayInfo[] = state.days.map((d) => ({ name: d.name, rows: d.rows, invalidLines: d.invalidLines, shard: shardName(d.name) }));
  const last = state.days[state.days.length - 1];
  const trainRows = state.days.slice(0, -1).reduce((s, d) => s + d.rows, 0);
  const splits = mergedSplits(trainRows, last.rows, Math.ceil(last.rows / 2));
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    createdBy: `dlrm ${pkg.version}`,
    createdAt: state.createdAt,
    sources,
    schema,
    options,
    numDense: layout.numDense,
    denseTransforms: layout.denseLog1p.map((l) => (l ? 'log1p' : 'none')),
    tables,
    days: dayInfos,
    splits,
    mergedFile: path.relative(partsDir, mergedFile),
    totalRows: trainRows + last.rows,
  };
}
