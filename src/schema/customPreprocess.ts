// `dlrm preprocess --schema schema.json`: a user's own click log (TSV/CSV, plain or .gz, header or not; or
// Parquet, read through src/rawformat/parquetRows.ts)
// -> per-split shards, vocabularies, manifest and the merged processed file, in the same formats as the
// Criteo pipeline (docs/FORMAT.md), so train/eval/predict/inspect work unchanged. Two passes over the file on
// the main thread (docs/SCHEMA.md): pass 1 counts lines, hashes the input, computes standardize means/stds,
// lists the dates of a date split and counts values for --min-frequency; pass 2 routes every row to its
// training day or the test/val holdout, maps its categorical keys to first-appearance indices (multi-hot
// bags included) and writes the shards. The merged file is then built by the shared buildMergedFile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { ColumnSchema } from '../criteo/schema';
import { kaggleDaySizes } from '../criteo/rawSources';
import type { DayInfo, Manifest, PreprocessOptions, TableInfo } from '../dataset/manifest';
import { mergedSplits } from '../dataset/mergedFile';
import { ProcessedFileReader, ProcessedFileWriter } from '../dataset/processedFile';
import type { PreprocessConfig, PreprocessResult } from '../preprocess/pipeline';
import { claimOutputs, defaultCustomProcessedPath, outputPaths } from '../preprocess/outputs';
import { buildMergedFromShards, manifestStamp, movePartsIntoPlace } from '../preprocess/publish';
import { subsampleDraw } from '../preprocess/subsample';
import { inputError, UserError } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress } from '../util/progress';
import { checkSkippedLines } from '../preprocess/invalidLines';
import { transformDense } from './denseTransform';
import { KeyVocabulary } from './keyVocabulary';
import { compareDates, loadSchemaFile } from './loadSchema';
import { CustomRowParser } from './rowParser';
import { RowBatchBuilder } from './rowBatch';
import { isParquetInput, parquetFiles } from '../rawformat/parquetReader';
import { defaultParquetProcessedPath, openRawRows } from '../rawformat/parquetRows';


/** The Criteo pipeline's options less the preset, resume and threads (a custom-schema run has one thread). */
export interface CustomPreprocessConfig extends Omit<PreprocessConfig, 'dataSet' | 'resume' | 'workers' | 'blockBytes'> {
  schemaFile: string;
}

/** Shard rows per row group, and rows gathered before a shard append (all shards are open at once). */
const SHARD_ROWS_PER_GROUP = 8192;
const FLUSH_ROWS = 4096;
/** With more shards than this (a date split over many dates), groups and gathering shrink 8x and 16x. */
const MANY_SHARDS = 64;
/** The "day" number of the random split's draws (sub-sampling uses day 0: independent draws). */
const RANDOM_SPLIT_STREAM = 0x5eed;
/** Holdout routes (training days are 0, 1, ...). */
const TEST = -1;
const VAL = -2;

/** The vocabulary key width of table `t`: 64 bits for hashed strings (unless folded by --max-ind-range). */
export function keyBitsOf(schema: ColumnSchema, t: number, maxIndRange: number): 32 | 64 {
  return schema.categorical[t].encoding === 'string' && maxIndRange <= 0 ? 64 : 32;
}

/** A file-system-safe vocabulary file name per table, unique within the schema. */
function vocabFiles(schema: ColumnSchema, maxIndRange: number): string[] {
  const used = new Set<string>();
  return schema.categorical.map((c, t) => {
    let base = c.name.replace(/[^A-Za-z0-9._-]/g, '_');
    if (used.has(base)) base = `${base}_${t}`;
    used.add(base);
    return `vocab/${base}.${keyBitsOf(schema, t, maxIndRange) === 64 ? 'u64' : 'u32'}`;
  });
}

/** One output shard: its writer and the rows gathered for it. */
interface Shard {
  file: string;
  writer: ProcessedFileWriter;
  rows: RowBatchBuilder;
}

/** Runs a custom-schema preprocessing. */
export async function runCustomPreprocess(cfg: CustomPreprocessConfig): Promise<PreprocessResult> {
  const release = claimOutputs(outputPaths({ rawDataFile: cfg.rawDataFile, processedDataFile: processedPathOf(cfg) }), rawInputFiles(cfg.rawDataFile), [{ flag: '--schema', path: cfg.schemaFile }]);
  try {
    return await preprocessClaimed(cfg);
  } finally {
    release();
  }
}

/** The merged output: --processed-data-file, or the default beside the raw file. */
function processedPathOf(cfg: CustomPreprocessConfig): string {
  return cfg.processedDataFile ?? (isParquetInput(cfg.rawDataFile) ? defaultParquetProcessedPath(cfg.rawDataFile) : defaultCustomProcessedPath(cfg.rawDataFile));
}

/** The input files a run reads (Parquet input may be a folder or glob of part files). */
function rawInputFiles(raw: string): string[] {
  return isParquetInput(raw) ? parquetFiles(raw, '--raw-data-file').map((f) => path.resolve(f)) : [path.resolve(raw)];
}

async function preprocessClaimed(cfg: CustomPreprocessConfig): Promise<PreprocessResult> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const endPhase = (name: string): void => {
    phases[name] = (Date.now() - phaseStart) / 1000;
    phaseStart = Date.now();
  };
  const schema = loadSchemaFile(cfg.schemaFile);
  const split = schema.split ?? { by: 'blocks', blocks: 7 };
  const raw = path.resolve(cfg.rawDataFile);
  const input = openRawRows(raw, schema, '--raw-data-file');
  const M = cfg.maxIndRange > 0 ? cfg.maxIndRange : -1;
  const options: PreprocessOptions = {
    dataSet: 'custom',
    maxIndRange: M,
    dataSubSampleRate: cfg.dataSubSampleRate,
    dataRandomize: cfg.dataRandomize,
    minFrequency: cfg.minFrequency > 1 ? cfg.minFrequency : 0,
    skipInvalidLines: cfg.skipInvalidLines,
    seed: cfg.seed,
  };
  const { mergedFile, partsDir, workDir } = outputPaths({ rawDataFile: cfg.rawDataFile, processedDataFile: processedPathOf(cfg) });
  if (fs.existsSync(workDir)) throw new UserError(`${workDir} holds an interrupted run for ${mergedFile}: delete that folder to start again (--resume is not available with --schema)`);
  const parser = new CustomRowParser(input.schema, M);
  const D = parser.numDense, T = parser.numTables;
  const vocabs = schema.categorical.map(() => new KeyVocabulary(options.minFrequency));
  const fieldName = (f: number): string | undefined => (f < 0 ? undefined : `${f + 1} (${parser.fieldNames[f]})`);

  // One pass: every kept row goes to onRow (line index among data lines, 1-based line number).
  const pass = async (label: string, onRow: (dataLine: number, lineNo: number) => void, hash?: crypto.Hash) => {
    const bar = startProgress(label, Math.max(1, Math.round(input.bytes / 1e6)), 'MB');
    let bytesRead = 0, dataLines = 0, rows = 0, invalid = 0;
    let firstInvalid: UserError | undefined;
    try {
      const lines = await input.visit({
        onHeader: (bytes, start, end) => {
          const bad = parser.headerMismatch(bytes, start, end);
          if (bad) throw inputError({ file: raw, line: 1 }, bad);
        },
        onLine: (bytes, start, end, lineNo) => {
          const dataLine = dataLines++;
          const err = parser.parse(bytes, start, end);
          if (err) {
            const e = inputError({ ...input.where(lineNo), field: fieldName(err.field) }, err.message);
            if (!options.skipInvalidLines) throw e;
            firstInvalid ??= e;
            invalid++;
            return;
          }
          if (parser.label === 0 && options.dataSubSampleRate > 0 && subsampleDraw(options.seed, 0, dataLine) < options.dataSubSampleRate) return;
          rows++;
          onRow(dataLine, lineNo);
        },
        onBytes: (n) => {
          bytesRead += n;
          bar.update(Math.round(bytesRead / 1e6), `${formatCount(dataLines)} lines`);
        },
      }, hash);
      if (dataLines === 0) throw new UserError(`${raw}: no data lines${lines > 0 ? ' after the header' : ' (the file is empty)'}`);
      if (firstInvalid && label === 'pass 1') log().warn({ invalidLines: invalid }, `skipping invalid lines (--skip-invalid-lines); the first: ${firstInvalid.message}`);
      return { dataLines, rows, invalid };
    } finally {
      bar.stop();
    }
  };

  // pass 1: statistics
  // Welford's running mean and sum of squared deviations (stable for large values with a small spread)
  const stats = schema.dense.map(() => ({ n: 0, mean: 0, m2: 0 }));
  const trainDates = new Map<string, number>();
  const standardize = schema.dense.map((d) => d.transform === 'standardize' && d.mean === undefined);
  const hash = crypto.createHash('sha256');
  const first = await pass('pass 1', (_dataLine, lineNo) => {
    for (let k = 0; k < D; k++) {
      const v = parser.dense[k];
      if (standardize[k] && !Number.isNaN(v)) {
        const s = stats[k];
        const delta = v - s.mean;
        s.n++;
        s.mean += delta / s.n;
        s.m2 += delta * (v - s.mean);
      }
    }
    if (split.by === 'date') {
      if (parser.dateText === '') throw inputError({ ...input.where(lineNo), field: split.column }, 'the date of the date split is empty');
      if (compareDates(parser.dateText, split.test) < 0) trainDates.set(parser.dateText, (trainDates.get(parser.dateText) ?? 0) + 1);
    }
    if (options.minFrequency > 1) {
      for (let t = 0; t < T; t++) {
        const bag = parser.bags[t];
        for (let i = 0; i < bag.n; i++) vocabs[t].count(bag.hi[i], bag.lo[i]);
      }
    }
  }, hash);
  const sha256 = hash.digest('hex');
  checkSkippedLines(raw, first.dataLines, first.invalid);
  const finalSchema: ColumnSchema = JSON.parse(JSON.stringify(schema)) as ColumnSchema;
  finalSchema.dense.forEach((d, k) => {
    if (!standardize[k]) return;
    const s = stats[k];
    const std = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
    d.mean = s.mean;
    d.std = std > 0 ? std : 1;
  });
  parser.schema.dense.forEach((d, k) => Object.assign(d, finalSchema.dense[k]));
  if (options.minFrequency > 1) vocabs.forEach((v) => v.finishCounting());
  endPhase('pass 1');

  // the shards: training days, then the holdout (test then val)
  let dayNames: string[];
  let routeOf: (dataLine: number) => number;
  const halved = split.by === 'blocks' || (split.by === 'date' && split.val === undefined);
  if (split.by === 'blocks') {
    const sizes = kaggleDaySizes(first.dataLines, split.blocks);
    const blockEnd: number[] = [];
    sizes.reduce((s, n) => (blockEnd.push(s + n), s + n), 0);
    dayNames = sizes.slice(0, -1).map((_, d) => `day_${d}`);
    let block = 0;
    routeOf = (dataLine) => {
      while (dataLine >= blockEnd[block]) block++;
      return block === split.blocks - 1 ? TEST : block;
    };
  } else if (split.by === 'date') {
    dayNames = [...trainDates.keys()].sort(compareDates);
    const dayOf = new Map(dayNames.map((d, i) => [d, i]));
    routeOf = () => {
      const d = parser.dateText;
      if (compareDates(d, split.test) < 0) return dayOf.get(d) as number;
      return split.val !== undefined && compareDates(d, split.val) >= 0 ? VAL : TEST;
    };
  } else {
    dayNames = ['train'];
    routeOf = (dataLine) => {
      const u = subsampleDraw(options.seed, RANDOM_SPLIT_STREAM, dataLine);
      return u < split.test ? TEST : u < split.test + split.val ? VAL : 0;
    };
  }
  if (dayNames.length === 0) throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
  if (dayNames.length > 1000) throw new UserError(`${raw}: the date split gives ${dayNames.length} training days; at most 1000 are supported (use a coarser date column)`);

  fs.mkdirSync(path.join(workDir, 'vocab'), { recursive: true });
  const shards: Shard[] = [];
  const many = dayNames.length > MANY_SHARDS;
  const flushRows = many ? FLUSH_ROWS / 16 : FLUSH_ROWS;
  try {
    const openShard = (file: string): Shard => {
      const at = path.join(workDir, file);
      const s: Shard = { file: at, writer: new ProcessedFileWriter(at, { numDense: D, numTables: T, rowsPerGroup: many ? SHARD_ROWS_PER_GROUP / 8 : SHARD_ROWS_PER_GROUP }), rows: new RowBatchBuilder(D, T) };
      shards.push(s);
      return s;
    };
    const trainShards = dayNames.map((_, d) => openShard(`day_${d}.dlrm`));
    const holdoutFile = `day_${dayNames.length}.dlrm`;
    const testShard = openShard(halved ? holdoutFile : 'test.partial.dlrm');
    const valShard = halved ? testShard : openShard('val.partial.dlrm');
    const flush = (s: Shard): void => {
      const b = s.rows.take();
      if (b.size > 0) s.writer.append(b.labels, b.dense, b.sparse);
    };
    const denseRow = new Float64Array(D);
    const bagRows = Array.from({ length: T }, () => new Uint32Array(8));
    const bagLengths = new Int32Array(T);
    const second = await pass('pass 2', (dataLine) => {
      const route = routeOf(dataLine);
      const shard = route === TEST ? testShard : route === VAL ? valShard : trainShards[route];
      for (let k = 0; k < D; k++) denseRow[k] = transformDense(parser.schema.dense[k], parser.dense[k]);
      for (let t = 0; t < T; t++) {
        const bag = parser.bags[t];
        if (bagRows[t].length < bag.n) bagRows[t] = new Uint32Array(bag.hi.length);
        const out = bagRows[t];
        for (let i = 0; i < bag.n; i++) out[i] = vocabs[t].assign(bag.hi[i], bag.lo[i]);
        bagLengths[t] = bag.n;
      }
      shard.rows.push(parser.label, denseRow, bagRows, bagLengths);
      if (shard.rows.size >= flushRows) flush(shard);
    });
    if (second.rows !== first.rows) throw new UserError(`${raw}: ${second.rows} rows in pass 2, ${first.rows} in pass 1 (did the file change while being read?)`);
    for (const s of shards) flush(s);
    endPhase('pass 2');

    const trainRowsPerDay = trainShards.map((s) => s.writer.rows);
    const testRows = testShard.writer.rows;
    const holdoutRows = halved ? testRows : testRows + valShard.writer.rows;
    const dayMeta = (name: string, rows: number) => ({ kind: 'dlrm-day-shard', day: name, rows, source: raw, options, schema: finalSchema });
    trainShards.forEach((s, d) => s.writer.commit(dayMeta(dayNames[d], s.writer.rows)));
    if (halved) {
      testShard.writer.commit(dayMeta('holdout', testRows));
    } else {
      testShard.writer.commit({});
      valShard.writer.commit({});
      concatShards([testShard.file, valShard.file], path.join(workDir, holdoutFile), D, T, dayMeta('holdout', holdoutRows));
      for (const s of [testShard, valShard]) fs.rmSync(s.file);
    }
    if (trainRowsPerDay.reduce((a, b) => a + b, 0) === 0) throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
    if (holdoutRows === 0) throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no test/val rows`);

    // vocabularies and manifest
    const files = vocabFiles(schema, M);
    const tables: TableInfo[] = schema.categorical.map((c, t) => {
      const v = vocabs[t];
      const keyBits = keyBitsOf(schema, t, M);
      v.save(path.join(workDir, files[t]), keyBits);
      const rare = v.rareIndex;
      const missing = c.multiHotSeparator !== undefined ? -1 : v.indexOf(...parser.missingKey(t));
      const info: TableInfo = { name: c.name, count: v.size + (rare >= 0 ? 1 : 0), oovIndex: rare >= 0 ? rare : Math.max(0, missing), vocabFile: files[t] };
      if (keyBits === 64) info.keyBits = 64;
      if (info.count === 0) throw new UserError(`${raw}: categorical column ${c.name} has no values at all (every bag is empty); drop it from the schema`);
      return info;
    });
    const days: DayInfo[] = [...dayNames, 'holdout'].map((name, d) => ({ name, rows: d < dayNames.length ? trainRowsPerDay[d] : holdoutRows, invalidLines: d === 0 ? first.invalid : 0, shard: `day_${d}.dlrm` }));
    const trainRows = trainRowsPerDay.reduce((a, b) => a + b, 0);
    const manifest: Manifest = {
      ...manifestStamp(new Date(started).toISOString()),
      sources: [{ path: raw, bytes: input.bytes, sha256 }],
      schema: finalSchema,
      options,
      numDense: D,
      denseTransforms: schema.dense.map((d) => d.transform),
      tables,
      days,
      splits: mergedSplits(trainRows, holdoutRows, halved ? Math.ceil(holdoutRows / 2) : testRows),
      mergedFile: path.relative(partsDir, mergedFile),
      totalRows: trainRows + holdoutRows,
    };
    await buildMergedFromShards(manifest, workDir, mergedFile);
    endPhase('merge');
    movePartsIntoPlace(manifest, workDir, partsDir);
    const seconds = (Date.now() - started) / 1000;
    log().info({ rowsPerDay: days.map((d) => d.rows), splits: manifest.splits, countsPerTable: tables.map((t) => t.count), invalidLines: first.invalid, seconds, phases, mergedFile, partsDir }, 'preprocess done');
    return { manifest, mergedFile, partsDir, lines: first.dataLines, seconds, phases };
  } catch (err) {
    for (const s of shards) s.writer.abort();
    fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** Writes the rows of `inputs` (processed files, in order) into one processed file. */
function concatShards(inputs: string[], out: string, D: number, T: number, metadata: object): void {
  const writer = new ProcessedFileWriter(out, { numDense: D, numTables: T, rowsPerGroup: SHARD_ROWS_PER_GROUP });
  try {
    for (const file of inputs) {
      const reader = ProcessedFileReader.open(file);
      try {
        for (let a = 0; a < reader.rows; a += SHARD_ROWS_PER_GROUP) {
          const b = reader.read(a, Math.min(reader.rows, a + SHARD_ROWS_PER_GROUP));
          writer.append(b.labels, b.dense, b.sparse);
        }
      } finally {
        reader.close();
      }
    }
    writer.commit(metadata);
  } catch (err) {
    writer.abort();
    throw err;
  }
}
