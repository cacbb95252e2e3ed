// `dlrm preprocess --schema schema.json`: a user's own click log (TSV/CSV, plain or .gz, header or not; or
// Parquet: a file, part folder or glob, first rendered as U+001F-delimited lines into a temporary file in
// the run's work folder by src/rawformat/parquetRows.ts, removed when pass 2 ends or the run fails)
// -> per-split shards, vocabularies, manifest and the merged processed file, in the same formats as the
// Criteo pipeline (docs/FORMAT.md), so train/eval/predict/inspect work unchanged. Two passes over the file
// (docs/SCHEMA.md), each through the one block reader and the schema's RowParser (parserFor) on --workers
// parse threads (ParsePool; blocks come back in file order, so the output never depends on the thread
// count): pass 1 counts lines, hashes the input, computes standardize means/stds, lists the dates of a date
// split and counts keys for --min-frequency; pass 2 routes every row to its training day or the test/val
// holdout (by its line position after the header: blocks, random draw, or its date), maps its keys to
// first-appearance indices (Vocabulary, multi-hot bags included) and writes the shards. The merged file
// is then built by the shared buildMergedFromShards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { ColumnSchema } from '../rawformat/schema';
import { kaggleDaySizes } from '../criteo/rawSources';
import type { DayInfo, Manifest, PreprocessOptions, TableInfo } from '../dataset/manifest';
import { mergedSplits } from '../dataset/mergedFile';
import { ProcessedFileReader, ProcessedFileWriter } from '../dataset/processedFile';
import type { PreprocessConfig, PreprocessResult } from './pipeline';
import { claimOutputs, defaultCustomProcessedPath, outputPaths } from './outputs';
import { buildMergedFromShards, manifestStamp, movePartsIntoPlace } from './publish';
import { subsampleDraw } from '../rawformat/subsample';
import { inputError, UserError } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress } from '../util/progress';
import { checkSkippedLines } from './invalidLines';
import { Vocabulary } from './vocabulary';
import { AtomicFile, writeFileAtomic } from '../util/atomic';
import type { InputLocation } from '../util/errors';
import { wholeFileDay, type RawDay } from '../rawformat/blockReader';
import { firstLines } from '../rawformat/firstLines';
import { compareDates, loadSchemaFile } from '../rawformat/loadSchema';
import { DelimitedRowParser, keyBitsOf } from '../rawformat/delimitedParser';
import type { ParsedBlock, ParseOptions } from '../rawformat/rowParser';
import { RowBatchBuilder } from '../dataset/rowBatch';
import { oovIndex } from './oovIndex';
import { ParsePool } from './parsePool';
import { isParquetInput, parquetFiles } from '../rawformat/parquetReader';
import { defaultParquetProcessedPath, parquetTextSchema, renderParquetText } from '../rawformat/parquetRows';

/** The Criteo pipeline's options less the preset and resume (a custom-schema run starts from the beginning). */
export interface CustomPreprocessConfig extends Omit<PreprocessConfig, 'dataSet' | 'resume'> {
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
  const release = claimOutputs(
    outputPaths({ rawDataFile: cfg.rawDataFile, processedDataFile: processedPathOf(cfg) }),
    rawInputFiles(cfg.rawDataFile),
    [{ flag: '--schema', path: cfg.schemaFile }],
  );
  try {
    return await preprocessClaimed(cfg);
  } finally {
    release();
  }
}

/** The merged output: --processed-data-file, or the default beside the raw file. */
function processedPathOf(cfg: CustomPreprocessConfig): string {
  return (
    cfg.processedDataFile ??
    (isParquetInput(cfg.rawDataFile)
      ? defaultParquetProcessedPath(cfg.rawDataFile)
      : defaultCustomProcessedPath(cfg.rawDataFile))
  );
}

/** The input files a run reads (Parquet input may be a folder or glob of part files). */
function rawInputFiles(raw: string): string[] {
  return isParquetInput(raw) ? parquetFiles(raw, '--raw-data-file').map((f) => path.resolve(f)) : [path.resolve(raw)];
}

/** The input as the block pipeline reads it: the text file, or Parquet rendered into a temporary one. */
interface TextInput {
  day: RawDay;
  /** The schema the text is parsed with (Parquet: delimited by U+001F, no header). */
  parseSchema: (schema: ColumnSchema) => ColumnSchema;
  /** The input's bytes and sha256 for the manifest (undefined: hashed while pass 1 reads the text). */
  bytes: number;
  sha256?: string;
  /** Where a 1-based line of the text comes from (Parquet: its part file and row). */
  where: (line: number) => InputLocation;
  /** Seconds spent rendering Parquet into the text (a phase of the run's summary). */
  renderSeconds?: number;
  /** Removes the rendered temporary file (Parquet; no-op otherwise); safe to call twice. */
  release: () => void;
}

/** Opens the raw input; Parquet is rendered into a temporary file in `workDir` (created here). */
async function openTextInput(raw: string, schema: ColumnSchema, workDir: string): Promise<TextInput> {
  if (!isParquetInput(raw)) {
    const day = wholeFileDay(raw, '--raw-data-file');
    await checkHeader(day, schema);
    return {
      day,
      parseSchema: (s) => s,
      bytes: day.endByte,
      where: (line) => ({ file: raw, line }),
      release: () => undefined,
    };
  }
  fs.mkdirSync(workDir, { recursive: true });
  const text = new AtomicFile(path.join(workDir, 'parquet-rows.txt'));
  const started = Date.now();
  try {
    const rendered = await renderParquetText(raw, schema, '--raw-data-file', text);
    if (rendered.rows === 0) throw new UserError(`${raw}: no data rows (the Parquet input is empty)`);
    return {
      day: wholeFileDay(text.tmpPath, '--raw-data-file'),
      parseSchema: parquetTextSchema,
      bytes: rendered.bytes,
      sha256: rendered.sha256,
      where: (line: number) => rendered.where(line),
      renderSeconds: (Date.now() - started) / 1000,
      release: () => text.abort(),
    };
  } catch (err) {
    text.abort();
    throw err;
  }
}

/** Refuses an empty input and a header that is not the schema's columns, before any work. */
async function checkHeader(day: RawDay, schema: ColumnSchema): Promise<void> {
  const [first] = await firstLines(day, 1);
  if (!first) throw new UserError(`${day.file}: no data lines (the file is empty)`);
  if (!schema.header) return;
  const bad = new DelimitedRowParser(schema, 0).headerMismatch(first.bytes, 0, first.bytes.length);
  if (bad) throw inputError({ file: day.file, line: first.lineNo }, bad);
}

async function preprocessClaimed(cfg: CustomPreprocessConfig): Promise<PreprocessResult> {
  const started = Date.now();
  const schema = loadSchemaFile(cfg.schemaFile);
  const raw = path.resolve(cfg.rawDataFile);
  const { mergedFile, workDir } = outputPaths({
    rawDataFile: cfg.rawDataFile,
    processedDataFile: processedPathOf(cfg),
  });
  if (fs.existsSync(workDir))
    throw new UserError(
      `${workDir} holds an interrupted run for ${mergedFile}: delete that folder to start again (--resume is not available with --schema)`,
    );
  let input: TextInput | undefined;
  try {
    input = await openTextInput(raw, schema, workDir);
    return await preprocessInput(cfg, schema, input, started);
  } catch (err) {
    // a failed Parquet run leaves no work folder behind (pass 2's own cleanup covers the text path)
    input?.release();
    if (isParquetInput(raw)) fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/** The two passes over the input's text, then the shards, vocabularies, manifest and merged file. */
async function preprocessInput(
  cfg: CustomPreprocessConfig,
  schema: ColumnSchema,
  input: TextInput,
  started: number,
): Promise<PreprocessResult> {
  const phases: Record<string, number> =
    input.renderSeconds === undefined ? {} : { 'parquet render': input.renderSeconds };
  let phaseStart = Date.now();
  const endPhase = (name: string): void => {
    phases[name] = (Date.now() - phaseStart) / 1000;
    phaseStart = Date.now();
  };
  const split = schema.split ?? { by: 'blocks', blocks: 7 };
  const raw = path.resolve(cfg.rawDataFile);
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
  const { mergedFile, partsDir, workDir } = outputPaths({
    rawDataFile: cfg.rawDataFile,
    processedDataFile: processedPathOf(cfg),
  });
  const { day } = input;
  const parseSchema = input.parseSchema(schema);
  const fieldNames = new DelimitedRowParser(schema, M).fieldNames;
  const D = schema.dense.length,
    T = schema.categorical.length;
  const vocabs = schema.categorical.map((_, t) => new Vocabulary(options.minFrequency, keyBitsOf(schema, t, M)));
  // data lines are numbered by position after the header: sub-sampling, random and block splits use it
  const header = parseSchema.header ? 1 : 0;
  const standardize = schema.dense.map((d) => d.transform === 'standardize' && d.mean === undefined);
  const parseOptions = (rawDense: boolean): ParseOptions => ({
    maxIndRange: M,
    subsampleRate: options.dataSubSampleRate,
    seed: options.seed,
    skipInvalid: options.skipInvalidLines,
    partitionBounds: [0, T],
    skipHeader: parseSchema.header,
    rawDense,
  });
  const pool = new ParsePool(Math.max(1, cfg.workers), cfg.blockBytes);

  // One pass: each parsed block (in file order) goes to onBlock with the number of lines before it.
  const pass = async (
    label: string,
    passSchema: ColumnSchema,
    rawDense: boolean,
    onBlock: (block: ParsedBlock, firstLine: number) => void,
    hash?: crypto.Hash,
  ) => {
    const bar = startProgress(label, Math.max(1, Math.round(day.endByte / 1e6)), 'MB');
    let bytesRead = 0,
      lines = 0,
      rows = 0,
      invalid = 0;
    let firstInvalid: UserError | undefined;
    try {
      await pool.init(passSchema, parseOptions(rawDense));
      const onBytes = (n: number): void => {
        bytesRead += n;
        bar.update(Math.round(bytesRead / 1e6), `${formatCount(lines)} lines`);
      };
      for await (const { block, firstLine } of pool.parse(day, onBytes, hash)) {
        if (block.firstError) {
          const e = block.firstError;
          const err = inputError(
            {
              ...input.where(day.firstLineNumber + firstLine + e.line),
              field: e.field,
              fieldName: e.field === undefined ? undefined : fieldNames[e.field - 1],
            },
            e.message,
          );
          if (!options.skipInvalidLines) throw err;
          firstInvalid ??= err;
        }
        invalid += block.invalidLines;
        rows += block.rows;
        lines = firstLine + block.lines;
        onBlock(block, firstLine);
      }
      if (rows + invalid === 0 && options.dataSubSampleRate === 0)
        throw new UserError(`${raw}: no data lines${header ? ' after the header' : ' (the file is empty)'}`);
      if (firstInvalid && label === 'pass 1')
        log().warn(
          { invalidLines: invalid },
          `skipping invalid lines (--skip-invalid-lines); the first: ${firstInvalid.message}`,
        );
      return { dataLines: lines - header, rows, invalid };
    } finally {
      bar.stop();
    }
  };

  try {
    // pass 1: statistics
    // Welford's running mean and sum of squared deviations (stable for large values with a small spread)
    const stats = schema.dense.map(() => ({ n: 0, mean: 0, m2: 0 }));
    const trainDates = new Map<string, number>();
    const isTrainDate = new Map<string, boolean>();
    const hash = crypto.createHash('sha256');
    const needRaw = standardize.some((x) => x);
    const first = await pass(
      'pass 1',
      parseSchema,
      needRaw,
      (block, firstLine) => {
        const n = block.rows;
        if (block.rawDense) {
          const values = block.rawDense;
          for (let r = 0; r < n; r++) {
            for (let k = 0; k < D; k++) {
              const v = values[r * D + k];
              if (!standardize[k] || Number.isNaN(v)) continue;
              const s = stats[k];
              const delta = v - s.mean;
              s.n++;
              s.mean += delta / s.n;
              s.m2 += delta * (v - s.mean);
            }
          }
        }
        if (split.by === 'date') {
          const dates = block.dates as string[];
          for (let r = 0; r < n; r++) {
            const d = dates[r];
            if (d === '')
              throw inputError(
                { ...input.where(day.firstLineNumber + firstLine + rowLine(block, r)), field: split.column },
                'the date of the date split is empty',
              );
            let train = isTrainDate.get(d);
            if (train === undefined) isTrainDate.set(d, (train = compareDates(d, split.test) < 0));
            if (train) trainDates.set(d, (trainDates.get(d) ?? 0) + 1);
          }
        }
        if (options.minFrequency > 1) {
          block.keys.forEach((keys, t) => {
            const count = keys.offsets ? keys.offsets[n] : n;
            vocabs[t].count(keys.lo, keys.hi, 0, count);
          });
        }
      },
      input.sha256 === undefined ? hash : undefined,
    );
    const sha256 = input.sha256 ?? hash.digest('hex');
    checkSkippedLines(raw, first.dataLines, first.invalid);
    const finalSchema: ColumnSchema = JSON.parse(JSON.stringify(schema)) as ColumnSchema;
    finalSchema.dense.forEach((d, k) => {
      if (!standardize[k]) return;
      const s = stats[k];
      const std = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
      d.mean = s.mean;
      d.std = std > 0 ? std : 1;
    });
    if (options.minFrequency > 1) vocabs.forEach((v) => v.finishCounting());
    endPhase('pass 1');
    return await writeShards(first, finalSchema, sha256, trainDates);
  } finally {
    await pool.stop();
  }

  /** Pass 2 (routing, indices, shards), then vocabularies, manifest and the merged file. */
  async function writeShards(
    first: { dataLines: number; rows: number; invalid: number },
    finalSchema: ColumnSchema,
    sha256: string,
    trainDates: Map<string, number>,
  ): Promise<PreprocessResult> {
    // the shards: training days, then the holdout (test then val)
    let dayNames: string[];
    let routeOf: (dataLine: number, date: string) => number;
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
      const routes = new Map(dayNames.map((d, i) => [d, i]));
      routeOf = (_dataLine, d) => {
        let route = routes.get(d);
        if (route === undefined) {
          route = split.val !== undefined && compareDates(d, split.val) >= 0 ? VAL : TEST;
          routes.set(d, route);
        }
        return route;
      };
    } else {
      dayNames = ['train'];
      routeOf = (dataLine) => {
        const u = subsampleDraw(options.seed, RANDOM_SPLIT_STREAM, dataLine);
        return u < split.test ? TEST : u < split.test + split.val ? VAL : 0;
      };
    }
    if (dayNames.length === 0)
      throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
    if (dayNames.length > 1000)
      throw new UserError(
        `${raw}: the date split gives ${dayNames.length} training days; at most 1000 are supported (use a coarser date column)`,
      );

    fs.mkdirSync(path.join(workDir, 'vocab'), { recursive: true });
    const shards: Shard[] = [];
    const many = dayNames.length > MANY_SHARDS;
    const flushRows = many ? FLUSH_ROWS / 16 : FLUSH_ROWS;
    try {
      const openShard = (file: string): Shard => {
        const at = path.join(workDir, file);
        const s: Shard = {
          file: at,
          writer: new ProcessedFileWriter(at, {
            numDense: D,
            numTables: T,
            rowsPerGroup: many ? SHARD_ROWS_PER_GROUP / 8 : SHARD_ROWS_PER_GROUP,
          }),
          rows: new RowBatchBuilder(D, T),
        };
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
      const from = new Uint32Array(T),
        to = new Uint32Array(T);
      const second = await pass('pass 2', input.parseSchema(finalSchema), false, (block, firstLine) => {
        const n = block.rows;
        const indices = block.keys.map((keys, t) => {
          const count = keys.offsets ? keys.offsets[n] : n;
          const out = new Uint32Array(count);
          vocabs[t].assign(keys.lo, keys.hi, 0, count, out);
          return out;
        });
        for (let r = 0; r < n; r++) {
          const route = routeOf(firstLine + rowLine(block, r) - header, block.dates ? block.dates[r] : '');
          const shard = route === TEST ? testShard : route === VAL ? valShard : trainShards[route];
          for (let t = 0; t < T; t++) {
            const offsets = block.keys[t].offsets;
            from[t] = offsets ? offsets[r] : r;
            to[t] = offsets ? offsets[r + 1] : r + 1;
          }
          shard.rows.push(block.labels[r], block.dense, r * D, indices, from, to);
          if (shard.rows.size >= flushRows) flush(shard);
        }
      });
      if (second.rows !== first.rows)
        throw new UserError(
          `${raw}: ${second.rows} rows in pass 2, ${first.rows} in pass 1 (did the file change while being read?)`,
        );
      input.release(); // the rendered Parquet text is read by both passes only
      for (const s of shards) flush(s);
      endPhase('pass 2');

      const trainRowsPerDay = trainShards.map((s) => s.writer.rows);
      const testRows = testShard.writer.rows;
      const holdoutRows = halved ? testRows : testRows + valShard.writer.rows;
      const dayMeta = (name: string, rows: number) => ({
        kind: 'dlrm-day-shard',
        day: name,
        rows,
        source: raw,
        options,
        schema: finalSchema,
      });
      trainShards.forEach((s, d) => s.writer.commit(dayMeta(dayNames[d], s.writer.rows)));
      if (halved) {
        testShard.writer.commit(dayMeta('holdout', testRows));
      } else {
        testShard.writer.commit({});
        valShard.writer.commit({});
        concatShards(
          [testShard.file, valShard.file],
          path.join(workDir, holdoutFile),
          D,
          T,
          dayMeta('holdout', holdoutRows),
        );
        for (const s of [testShard, valShard]) fs.rmSync(s.file);
      }
      if (trainRowsPerDay.reduce((a, b) => a + b, 0) === 0)
        throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no training rows`);
      if (holdoutRows === 0) throw new UserError(`${raw}: the split ${JSON.stringify(split)} leaves no test/val rows`);

      // vocabularies and manifest
      const files = vocabFiles(schema, M);
      const keyParser = new DelimitedRowParser(schema, M);
      const tables: TableInfo[] = schema.categorical.map((c, t) => {
        const v = vocabs[t];
        const keyBits = keyBitsOf(schema, t, M);
        writeFileAtomic(path.join(workDir, files[t]), v.takeNew());
        const rare = v.rareIndex;
        // a multi-hot column's missing value is the empty bag: no key
        const missing = c.multiHotSeparator !== undefined ? -1 : v.indexOf(...keyParser.missingKey(t));
        const info: TableInfo = {
          name: c.name,
          count: v.size + (rare >= 0 ? 1 : 0),
          oovIndex: oovIndex(rare, missing),
          vocabFile: files[t],
        };
        if (keyBits === 64) info.keyBits = 64;
        if (info.count === 0)
          throw new UserError(
            `${raw}: categorical column ${c.name} has no values at all (every bag is empty); drop it from the schema`,
          );
        return info;
      });
      const days: DayInfo[] = [...dayNames, 'holdout'].map((name, d) => ({
        name,
        rows: d < dayNames.length ? trainRowsPerDay[d] : holdoutRows,
        invalidLines: d === 0 ? first.invalid : 0,
        shard: `day_${d}.dlrm`,
      }));
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
      await buildMergedFromShards(manifest, workDir, mergedFile, cfg.shuffleMemoryBytes);
      endPhase('merge');
      movePartsIntoPlace(manifest, workDir, partsDir);
      const seconds = (Date.now() - started) / 1000;
      log().info(
        {
          rowsPerDay: days.map((d) => d.rows),
          splits: manifest.splits,
          countsPerTable: tables.map((t) => t.count),
          invalidLines: first.invalid,
          seconds,
          phases,
          mergedFile,
          partsDir,
        },
        'preprocess done',
      );
      return { manifest, mergedFile, partsDir, lines: first.dataLines, seconds, phases };
    } catch (err) {
      for (const s of shards) s.writer.abort();
      fs.rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  }
}

/** The 0-based line in its block of row r. */
function rowLine(block: ParsedBlock, r: number): number {
  return block.rowLines ? block.rowLines[r] : r;
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
