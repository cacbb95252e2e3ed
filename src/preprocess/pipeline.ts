// `dlrm preprocess`, the one pipeline of every schema: raw click logs (a Criteo preset's days, or a user's
// own log with --schema: CSV/TSV or Parquet) -> per-day processed shards + vocabularies + manifest + merged
// file (docs/PREPROCESS.md, docs/SCHEMA.md). The outputs are claimed first (outputs.ts: no output over an
// input, the merged file's lock held until the run ends); the run works in a hidden work folder, resumable
// after a crash (checkpoint.ts: fingerprint, completed days' shards, vocabulary files). Then:
// 1. the scan pass: Kaggle counts lines and hashes train.txt (Terabyte files are hashed as their days are
//    read); a custom schema's scan (schemaPasses.ts) also computes dense statistics, dates and key counts;
//    --min-frequency counts keys (Criteo: a counting pass over the days);
// 2. the RowRouter (rowRouter.ts) cuts the input into days: Kaggle's 7 blocks, a schema's blocks/date/random
//    split (Terabyte's days are its files);
// 3. the day pass: Criteo presets day by day on the worker passes of passes.ts (parse, first-appearance
//    indices on the table-owning workers, shards on a writer thread); custom schemas in one route pass
//    (schemaPasses.ts: rows of any day interleave). After each completed day (each group of days), the
//    vocabularies' growth is appended and synced, the shards committed and the checkpoint written;
// 4. publish: the manifest, the merged file (written along with the shards when --data-randomize none; a
//    shuffle in memory gets the rows the shard worker packed while writing them; else built from the
//    shards) and the work folder renamed into place.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { Manifest, PreprocessOptions, TableInfo } from '../dataset/manifest';
import type { ParserLayout } from '../rawformat/layout';
import type { ColumnSchema } from '../rawformat/schema';
import { loadSchemaPreset } from '../criteo/schemaPresets';
import { kaggleDays, scanLines, terabyteDays } from '../criteo/rawSources';
import type { RawDay } from '../rawformat/blockReader';
import { UserError } from '../util/errors';
import {
  claimOutputs,
  defaultCustomProcessedPath,
  defaultProcessedPath,
  outputPaths,
  type OutputPaths,
} from './outputs';
import { log } from '../util/log';
import { firstLines } from '../rawformat/firstLines';
import { loadSchemaFile } from '../rawformat/loadSchema';
import { DelimitedRowParser, keyBitsOf } from '../rawformat/delimitedParser';
import { isParquetInput, parquetFiles } from '../rawformat/parquetReader';
import { defaultParquetProcessedPath } from '../rawformat/parquetRows';
import { Preprocessor } from './passes';
import { buildManifest, presetTables } from './manifestBuilder';
import { RemoteShardWriter } from './shardWriter';
import { StreamedMergedFile } from './mergedStream';
import { defaultShuffleMemoryBytes, fitsInMemory, OneHotRows } from '../dataset/memoryShuffle';
import { buildMergedFromShards, manifestStamp, movePartsIntoPlace } from './publish';
import type { PreprocessWorker } from './workerProtocol';
import {
  checkFingerprint,
  CHECKPOINT_FILE,
  CHECKPOINT_VERSION,
  loadCheckpoint,
  removeStrayFiles,
  saveCheckpoint,
  shardName,
  verifyShards,
  type Checkpoint,
} from './checkpoint';
import { checkRowsKept, checkSkippedLines } from './invalidLines';
import { VOCAB_DIR, VocabFiles, vocabFileNames } from './vocabFiles';
import { Vocabulary } from './vocabulary';
import { oovIndex } from './oovIndex';
import { blocksRouter, splitRouter } from './rowRouter';
import { openTextInput, SchemaPasses, type TextInput } from './schemaPasses';

export interface PreprocessConfig {
  rawDataFile: string;
  /** The merged output file; default: beside the raw input, without its extension, plus '.dlrm'. */
  processedDataFile?: string;
  /** The Criteo preset (default kaggle; ignored with schemaFile). */
  dataSet?: 'kaggle' | 'terabyte';
  /** --schema: a user's own log's column schema file (docs/SCHEMA.md), replacing the preset. */
  schemaFile?: string;
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
  /** false (--no-merged-file): write the day shards and the manifest only; train and eval read the parts folder. */
  mergedFile?: boolean;
  /** Memory budget of the merged file's in-memory shuffle (--shuffle-memory-mb; default: defaultShuffleMemoryBytes()). */
  shuffleMemoryBytes?: number;
}

export interface PreprocessResult {
  manifest: Manifest;
  mergedFile: string;
  partsDir: string;
  lines: number;
  seconds: number;
  /** Wall seconds per phase: 'count lines', 'count values', 'days' (presets); 'parquet render', 'scan', 'route' (schemas); 'merge'. */
  phases: Record<string, number>;
}

/** Refuses an empty input and an unlabelled (test-file) input before any work. */
async function checkFirstLine(day: RawDay, layout: ParserLayout): Promise<void> {
  const [first] = await firstLines(day, 1);
  if (!first) throw new UserError(`${day.file}: the file is empty`);
  let fields = 1;
  for (const b of first.bytes) if (b === layout.delimiter) fields++;
  if (layout.hasLabel && fields === layout.numFields - 1) {
    throw new UserError(
      `${day.file}: this is an unlabelled test file (${fields} fields per line: the features without the label, like Kaggle's test.txt); ` +
        `preprocess needs labelled training lines (${layout.numFields} fields). Unlabelled rows are scored by \`dlrm predict\`.`,
    );
  }
}

/** Where the run writes: --processed-data-file, or the default beside the raw input. */
function runOutputs(cfg: PreprocessConfig): OutputPaths {
  const raw = cfg.rawDataFile;
  const processedDataFile =
    cfg.processedDataFile ??
    (cfg.schemaFile === undefined
      ? defaultProcessedPath(raw)
      : isParquetInput(raw)
        ? defaultParquetProcessedPath(raw)
        : defaultCustomProcessedPath(raw));
  return outputPaths({ rawDataFile: raw, processedDataFile });
}

/** The input files a run reads (Terabyte: its day files; Parquet: a folder or glob of part files). */
function rawInputFiles(cfg: PreprocessConfig, raw: string): string[] {
  if (cfg.schemaFile !== undefined)
    return isParquetInput(raw) ? parquetFiles(raw, '--raw-data-file').map((f) => path.resolve(f)) : [raw];
  return cfg.dataSet === 'terabyte' ? terabyteDays(raw).map((d) => d.file) : [raw];
}

/** Runs the whole preprocessing described by `cfg`, holding the lock of its outputs (claimOutputs). */
export async function runPreprocess(cfg: PreprocessConfig): Promise<PreprocessResult> {
  const raw = path.resolve(cfg.rawDataFile);
  const out = runOutputs(cfg);
  const release = claimOutputs(
    out,
    rawInputFiles(cfg, raw),
    cfg.schemaFile === undefined ? [] : [{ flag: '--schema', path: cfg.schemaFile }],
  );
  try {
    return await preprocessClaimed(cfg, out);
  } finally {
    release();
  }
}

/** What the day pass leaves for publishing. */
interface DaysDone {
  manifest: Manifest;
  /** The merged file written along with the shards (--data-randomize none), to be completed. */
  streamed?: StreamedMergedFile;
  /** Every day's rows in memory, for the merged file's in-memory shuffle. */
  heldRows?: OneHotRows;
  /** Input lines read (data lines for a schema). */
  lines: number;
}

/** The state every day pass shares: options, work folder, checkpoint and phase clock. */
interface RunContext {
  cfg: PreprocessConfig;
  raw: string;
  out: OutputPaths;
  schema: ColumnSchema;
  options: PreprocessOptions;
  /** The merged file's in-memory shuffle budget, fixed at the start (--shuffle-memory-mb or the default). */
  shuffleMemoryBytes: number;
  /** The checkpoint of the interrupted run being resumed (undefined: start at the first day). */
  cp: Checkpoint | undefined;
  started: number;
  endPhase: (name: string) => void;
  phases: Record<string, number>;
}

async function preprocessClaimed(cfg: PreprocessConfig, out: OutputPaths): Promise<PreprocessResult> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const endPhase = (name: string): void => {
    const now = Date.now();
    phases[name] = (now - phaseStart) / 1000;
    phaseStart = now;
  };
  const custom = cfg.schemaFile !== undefined;
  const schema = custom ? loadSchemaFile(cfg.schemaFile as string) : loadSchemaPreset(cfg.dataSet ?? 'kaggle');
  const options: PreprocessOptions = {
    dataSet: custom ? 'custom' : (cfg.dataSet ?? 'kaggle'),
    maxIndRange: cfg.maxIndRange > 0 ? cfg.maxIndRange : -1,
    dataSubSampleRate: cfg.dataSubSampleRate,
    dataRandomize: cfg.dataRandomize,
    minFrequency: cfg.minFrequency > 1 ? cfg.minFrequency : 0,
    skipInvalidLines: cfg.skipInvalidLines,
    seed: cfg.seed,
  };
  const { mergedFile, partsDir, workDir } = out;
  const raw = path.resolve(cfg.rawDataFile);
  if (!custom && cfg.dataSet !== 'terabyte') {
    if (!fs.existsSync(raw)) throw new UserError(`${raw}: no such file`);
    if (raw.endsWith('.gz'))
      throw new UserError(
        `${raw}: Kaggle input must be the plain train.txt (decompress it first: it is read twice, to count lines and to process them)`,
      );
  }

  // the work folder and resume state
  const freshWorkDir = !fs.existsSync(workDir);
  if (!freshWorkDir && !cfg.resume) {
    throw new UserError(
      `${workDir} holds an interrupted run for ${mergedFile}: rerun with --resume to continue it, or delete that folder to start again`,
    );
  }
  let streamed: StreamedMergedFile | undefined;
  try {
    fs.mkdirSync(path.join(workDir, VOCAB_DIR), { recursive: true });
    const cp = cfg.resume ? loadCheckpoint(workDir) : undefined;
    if (cfg.resume && !cp)
      log().info({ workDir }, '--resume: no completed day to resume from; starting at the first day');
    const shuffleMemoryBytes = cfg.shuffleMemoryBytes ?? defaultShuffleMemoryBytes();
    const ctx: RunContext = { cfg, raw, out, schema, options, shuffleMemoryBytes, cp, started, endPhase, phases };
    const done = custom ? await schemaDays(ctx) : await presetDays(ctx, (s) => (streamed = s));
    const { manifest } = done;
    checkRowsKept(
      raw,
      done.lines,
      manifest.days.reduce((s, d) => s + d.rows, 0),
      cfg.dataSubSampleRate,
    );

    // the merged file, and the parts folder moved into place
    if (cfg.mergedFile === false) {
      // no merged file: one left by an earlier run at this path would disagree with the new parts
      manifest.mergedFile = '';
      fs.rmSync(mergedFile, { force: true });
    } else if (done.streamed) {
      await done.streamed.commit(manifest);
      streamed = undefined;
    } else {
      await buildMergedFromShards(manifest, workDir, mergedFile, shuffleMemoryBytes, done.heldRows);
    }
    endPhase('merge');
    fs.rmSync(path.join(workDir, CHECKPOINT_FILE), { force: true });
    movePartsIntoPlace(manifest, workDir, partsDir);

    const seconds = (Date.now() - started) / 1000;
    log().info(
      {
        rowsPerDay: manifest.days.map((d) => d.rows),
        splits: manifest.splits,
        countsPerTable: manifest.tables.map((t) => t.count),
        invalidLines: manifest.days.reduce((s, d) => s + d.invalidLines, 0),
        seconds,
        phases,
        linesPerSec: Math.round(done.lines / Math.max(seconds, 1e-3)),
        peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
        mergedFile,
        partsDir,
      },
      'preprocess done',
    );
    return { manifest, mergedFile, partsDir, lines: done.lines, seconds, phases };
  } catch (err) {
    await streamed?.abort();
    if (err instanceof UserError && freshWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** A resumed run's fingerprint check and completed shards' verification; the run's state (fresh or resumed). */
function resumeFrom(ctx: RunContext, fingerprint: Checkpoint['fingerprint']): Checkpoint {
  const { cp, out } = ctx;
  if (cp) {
    checkFingerprint(out.workDir, cp, fingerprint);
    verifyShards(out.workDir, cp);
  }
  const { createdAt } = manifestStamp(cp?.createdAt ?? new Date(ctx.started).toISOString());
  const T = ctx.schema.categorical.length;
  const state: Checkpoint = cp ?? {
    version: CHECKPOINT_VERSION,
    fingerprint,
    days: [],
    vocabSizes: new Array<number>(T).fill(0),
    zeroIndex: new Array<number>(T).fill(-1),
    createdAt,
  };
  state.createdAt = createdAt;
  return state;
}

/** A Criteo preset's scan and day passes (passes.ts), day by day with a checkpoint after each. */
async function presetDays(ctx: RunContext, onStreamed: (s: StreamedMergedFile | undefined) => void): Promise<DaysDone> {
  const { cfg, raw, schema, options, shuffleMemoryBytes, endPhase, phases } = ctx;
  const { mergedFile, workDir } = ctx.out;
  const pre = new Preprocessor(cfg, options, schema);
  const layout = pre.layout;
  const T = layout.numTables;
  let days: RawDay[] =
    cfg.dataSet === 'terabyte'
      ? terabyteDays(raw)
      : [{ name: 'day_0', file: raw, gzip: false, startByte: 0, endByte: fs.statSync(raw).size, firstLineNumber: 1 }];
  await checkFirstLine(days[0], layout);

  try {
    await pre.start();
    let kaggleSha: string | undefined;
    if (cfg.dataSet !== 'terabyte') {
      pre.beginPass('counting lines', days[0].endByte);
      const scan = await scanLines(raw, pre.hashSink(), (done) => pre.bytesProgress(done));
      if (scan.lines < 7)
        throw new UserError(
          `${raw}: has ${scan.lines} lines; Kaggle preprocessing cuts it into 7 days and needs at least 7`,
        );
      kaggleSha = scan.sha256;
      days = kaggleDays(raw, scan, blocksRouter(scan.lines, 7).dayLines);
      endPhase('count lines');
      log().info(
        { file: raw, lines: scan.lines, seconds: phases['count lines'] },
        `counted lines of ${path.basename(raw)}`,
      );
    }
    const inputs = days
      .filter((d, i) => i === 0 || d.file !== days[i - 1].file)
      .map((d) => ({ path: d.file, bytes: fs.statSync(d.file).size, ...(kaggleSha ? { sha256: kaggleSha } : {}) }));
    const state = resumeFrom(ctx, { schema, options, inputs });
    removeStrayFiles(workDir, state, VOCAB_DIR);

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
    const vocabFileList = vocabFileNames(schema, new Array<32>(T).fill(32));
    const vocab = new VocabFiles(workDir, vocabFileList, new Array<32>(T).fill(32), state.vocabSizes);
    let checkpointed: Promise<void> = Promise.resolve();
    const shardWorker = pre.shardWorker as PreprocessWorker;
    let heldRows: OneHotRows | undefined;
    let streamed: StreamedMergedFile | undefined;
    try {
      if (state.days.length > 0) {
        await pre.restore(vocab.read());
        log().info(
          { daysDone: state.days.length },
          `--resume: continuing after ${state.days[state.days.length - 1].name}`,
        );
      }

      // the assignment pass, day by day. A day's vocabulary growth is written and synced, its shard
      // committed and then its checkpoint written while the next day is already being processed.
      pre.beginPass(
        'preprocess',
        days.slice(state.days.length).reduce((s, d) => s + d.endByte - d.startByte, 0),
      );
      // in file order the merged file is the shards' rows one after the other: written along with them
      // (a resumed run builds it from the shards at the end)
      const merging = cfg.mergedFile !== false;
      if (merging && options.dataRandomize === 'none' && state.days.length === 0) {
        streamed = StreamedMergedFile.open(mergedFile, layout.numDense, T, pre.bounds);
        onStreamed(streamed);
      }
      // a shuffle that will run in memory: the shard worker also packs the days' rows as it writes them, so
      // the merge reads no shard back (a resumed run, or days of unknown length, read the shards)
      const lines = days.reduce((n, d) => n + (d.lines ?? NaN), 0);
      const hold =
        merging &&
        options.dataRandomize !== 'none' &&
        state.days.length === 0 &&
        fitsInMemory(lines * 4 * (1 + layout.numDense + T), lines, shuffleMemoryBytes);
      if (hold)
        await shardWorker.request('holdOpen', { capacity: lines, numDense: layout.numDense, numTables: T }, 'ok');
      for (let d = state.days.length; d < days.length; d++) {
        const day = days[d];
        const hash = day.gzip || cfg.dataSet === 'terabyte' ? crypto.createHash('sha256') : undefined;
        const shard = RemoteShardWriter.open(
          shardWorker,
          path.join(workDir, shardName(d)),
          { numDense: layout.numDense, numTables: T, partitionBounds: pre.bounds },
          { forward: streamed?.writer, hold },
        );
        let done: { rows: number; lines: number; invalidLines: number };
        try {
          done = await pre.dayPass(day, d, 'assign', shard, hash);
        } catch (err) {
          await shard.abort();
          throw err;
        }
        const fresh = await pre.takeNew();
        fresh.values.forEach((vals, t) => {
          if (state.zeroIndex[t] >= 0) return;
          const z = vals.indexOf(0);
          if (z >= 0) state.zeroIndex[t] = state.vocabSizes[t] + z;
        });
        const writes = vocab.append(fresh.values);
        state.vocabSizes.forEach((size, t) => {
          if (size !== fresh.sizes[t])
            throw new Error(
              `vocabulary ${layout.tableNames[t]}: ${size} values written, worker holds ${fresh.sizes[t]}`,
            );
        });
        const committed = shard.commit({
          kind: 'dlrm-day-shard',
          day: day.name,
          rows: done.rows,
          lines: done.lines,
          invalidLines: done.invalidLines,
          source: day.file,
          firstLineNumber: day.firstLineNumber,
          options,
          schema,
        });
        state.days.push({
          name: day.name,
          rows: done.rows,
          lines: done.lines,
          invalidLines: done.invalidLines,
          ...(hash ? { sha256: hash.digest('hex') } : {}),
        });
        const snapshot = JSON.parse(JSON.stringify(state)) as Checkpoint;
        checkpointed = Promise.all([checkpointed, committed, ...writes]).then(() => saveCheckpoint(workDir, snapshot));
        checkpointed.catch(() => undefined); // awaited below; this only marks the rejection handled meanwhile
        log().info(
          {
            day: day.name,
            rows: done.rows,
            lines: done.lines,
            invalidLines: done.invalidLines,
            vocabularyMB: Math.round(fresh.bytes / 1e6),
          },
          'day done',
        );
      }
      await checkpointed;
      if (hold) {
        const h = await shardWorker.request('holdTake', {}, 'held');
        heldRows = new OneHotRows(h.capacity, layout.numDense, T, undefined, {
          words: new Uint32Array(h.words),
          rows: h.rows,
        });
      }
    } finally {
      await checkpointed.catch(() => undefined);
      vocab.close();
    }
    await pre.stop();
    endPhase('days');
    checkSkippedLines(
      raw,
      state.days.reduce((s, d) => s + d.lines, 0),
      state.days.reduce((s, d) => s + d.invalidLines, 0),
    );
    if (frequent) {
      frequent.forEach((f, t) => {
        if (state.vocabSizes[t] !== f)
          throw new Error(
            `vocabulary ${layout.tableNames[t]}: ${state.vocabSizes[t]} frequent values assigned, ${f} counted`,
          );
      });
    }
    const sources = kaggleSha
      ? [{ path: days[0].file, bytes: fs.statSync(days[0].file).size, sha256: kaggleSha }]
      : days.map((d, i) => ({ path: d.file, bytes: fs.statSync(d.file).size, sha256: state.days[i].sha256 ?? '' }));
    const tables = presetTables(state, layout.tableNames, vocabFileList, options.minFrequency > 1);
    const manifest = buildManifest(state, { sources, schema, options, tables }, mergedFile, ctx.out.partsDir);
    return {
      manifest,
      streamed,
      heldRows,
      lines: state.days.reduce((s, d) => s + d.lines, 0),
    };
  } catch (err) {
    await pre.stop();
    throw err;
  }
}

/**
 * A custom schema's scan and route passes (schemaPasses.ts). A contiguous split (blocks) checkpoints each
 * completed day; a date or random split, whose days interleave, checkpoints once every day is written.
 */
async function schemaDays(ctx: RunContext): Promise<DaysDone> {
  const { cfg, raw, schema, options, endPhase } = ctx;
  const { workDir, mergedFile, partsDir } = ctx.out;
  const M = options.maxIndRange;
  const keyBits = schema.categorical.map((_, t) => keyBitsOf(schema, t, M));
  // the checkpoint's completed shards stay; anything else (a killed run's rendered Parquet rows) goes
  removeStrayFiles(workDir, ctx.cp, VOCAB_DIR);
  let input: TextInput | undefined;
  let passes: SchemaPasses | undefined;
  try {
    input = await openTextInput(raw, schema, workDir);
    if (isParquetInput(raw)) endPhase('parquet render');
    const vocabs = keyBits.map((bits) => new Vocabulary(options.minFrequency, bits));
    passes = new SchemaPasses(raw, schema, input, options, cfg.workers, cfg.blockBytes);
    const scan = await passes.scan(vocabs);
    checkSkippedLines(raw, scan.dataLines, scan.invalid);
    endPhase('scan');

    const state = resumeFrom(ctx, {
      schema,
      options,
      inputs: [{ path: raw, bytes: input.bytes, sha256: scan.sha256 }],
    });
    const split = schema.split ?? { by: 'blocks', blocks: 7 };
    const router = splitRouter(split, scan, options.seed);
    if (router.trainDays.length === 0)
      throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
    if (router.trainDays.length > 1000)
      throw new UserError(
        `${raw}: the date split gives ${router.trainDays.length} training days; at most 1000 are supported (use a coarser date column)`,
      );
    const files = vocabFileNames(schema, keyBits);
    const vocab = new VocabFiles(workDir, files, keyBits, state.vocabSizes);
    try {
      if (state.days.length > 0) {
        vocab.read().forEach((keys, t) => vocabs[t].restore(keys));
        log().info(
          { daysDone: state.days.length },
          `--resume: continuing after ${state.days[state.days.length - 1].name}`,
        );
      }
      await passes.route(scan, router, vocabs, workDir, state.days.length, async (days) => {
        if (state.days.length === 0) days[0].invalidLines = scan.invalid;
        await Promise.all(vocab.append(vocabs.map((v) => v.takeNew())));
        state.days.push(...days);
        saveCheckpoint(workDir, state);
      });
    } finally {
      vocab.close();
    }
    input.release(); // the rendered Parquet text is read by both passes only
    endPhase('route');

    const trainRows = state.days.slice(0, -1).reduce((s, d) => s + d.rows, 0);
    if (trainRows === 0) throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
    if (state.days[state.days.length - 1].rows === 0)
      throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no test/val rows`);
    const keyParser = new DelimitedRowParser(schema, M);
    const tables: TableInfo[] = schema.categorical.map((c, t) => {
      const v = vocabs[t];
      const rare = v.rareIndex;
      // a multi-hot column's missing value is the empty bag: no key
      const missing = c.multiHotSeparator !== undefined ? -1 : v.indexOf(...keyParser.missingKey(t));
      const info: TableInfo = {
        name: c.name,
        count: v.size + (rare >= 0 ? 1 : 0),
        oovIndex: oovIndex(rare, missing),
        vocabFile: files[t],
      };
      if (keyBits[t] === 64) info.keyBits = 64;
      if (info.count === 0)
        throw new UserError(
          `${raw}: categorical column ${c.name} has no values at all (every bag is empty); drop it from the schema`,
        );
      return info;
    });
    const sources = [{ path: raw, bytes: input.bytes, sha256: scan.sha256 }];
    const manifest = buildManifest(state, { sources, schema: scan.finalSchema, options, tables }, mergedFile, partsDir);
    return { manifest, lines: scan.dataLines };
  } finally {
    input?.release();
    await passes?.stop();
  }
}
