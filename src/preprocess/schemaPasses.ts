// The passes of `dlrm preprocess --schema` over a user's own click log (TSV/CSV, plain or .gz, header or
// not; or Parquet: a file, part folder or glob, first rendered as U+001F-delimited lines into a temporary
// file in the run's work folder by src/rawformat/parquetRows.ts). Both passes read the input's text through
// the one block reader and the schema's RowParser (parserFor) on --workers parse threads (ParsePool; blocks
// come back in file order, so the output never depends on the thread count):
// - scan: counts lines, hashes the input, computes standardize means/stds, lists the dates of a date split
//   and counts keys for --min-frequency (it writes nothing, so a resumed run simply repeats it);
// - route: sends every row to its day by the RowRouter (rowRouter.ts), maps its keys to first-appearance
//   indices (Vocabulary, multi-hot bags included) and writes the day shards. Days before `daysDone` (a
//   resumed run's completed days) are skipped; with a contiguous router each day is committed, and handed
//   to `onDays` for its checkpoint, as soon as a later day's row arrives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { ColumnSchema } from '../rawformat/schema';
import type { PreprocessOptions } from '../dataset/manifest';
import { ProcessedFileReader, ProcessedFileWriter } from '../dataset/processedFile';
import { RowBatchBuilder } from '../dataset/rowBatch';
import { inputError, UserError, type InputLocation } from '../util/errors';
import { log } from '../util/log';
import { formatCount, startProgress } from '../util/progress';
import { AtomicFile } from '../util/atomic';
import { wholeFileDay, type RawDay } from '../rawformat/blockReader';
import { firstLines } from '../rawformat/firstLines';
import { compareDates } from '../rawformat/loadSchema';
import { DelimitedRowParser } from '../rawformat/delimitedParser';
import type { ParsedBlock, ParseOptions } from '../rawformat/rowParser';
import { isParquetInput } from '../rawformat/parquetReader';
import { parquetTextSchema, renderParquetText } from '../rawformat/parquetRows';
import type { Vocabulary } from './vocabulary';
import { ParsePool } from './parsePool';
import { shardName, type DayCheckpoint } from './checkpoint';
import { TEST, VAL, type RowRouter } from './rowRouter';

/** Shard rows per row group, and rows gathered before a shard append (all shards are open at once). */
const SHARD_ROWS_PER_GROUP = 8192;
const FLUSH_ROWS = 4096;
/** With more shards than this (a date split over many dates), groups and gathering shrink 8x and 16x. */
const MANY_SHARDS = 64;

/** The input as the block pipeline reads it: the text file, or Parquet rendered into a temporary one. */
export interface TextInput {
  day: RawDay;
  /** The schema the text is parsed with (Parquet: delimited by U+001F, no header). */
  parseSchema: (schema: ColumnSchema) => ColumnSchema;
  /** The input's bytes and sha256 for the manifest (undefined: hashed while the scan pass reads the text). */
  bytes: number;
  sha256?: string;
  /** Where a 1-based line of the text comes from (Parquet: its part file and row). */
  where: (line: number) => InputLocation;
  /** Removes the rendered temporary file (Parquet; no-op otherwise); safe to call twice. */
  release: () => void;
}

/** Opens the raw input; Parquet is rendered into a temporary file in `workDir` (which must exist). */
export async function openTextInput(raw: string, schema: ColumnSchema, workDir: string): Promise<TextInput> {
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
  const text = new AtomicFile(path.join(workDir, 'parquet-rows.txt'));
  try {
    const rendered = await renderParquetText(raw, schema, '--raw-data-file', text);
    if (rendered.rows === 0) throw new UserError(`${raw}: no data rows (the Parquet input is empty)`);
    return {
      day: wholeFileDay(text.tmpPath, '--raw-data-file'),
      parseSchema: parquetTextSchema,
      bytes: rendered.bytes,
      sha256: rendered.sha256,
      where: (line: number) => rendered.where(line),
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

/** What the scan pass found. */
export interface ScanResult {
  /** Lines after the header (empty and invalid ones included). */
  dataLines: number;
  rows: number;
  invalid: number;
  sha256: string;
  /** The schema with the standardize statistics filled in (what the shards are written with). */
  finalSchema: ColumnSchema;
  /** Rows per date before the split's test date (date split). */
  trainDates: Map<string, number>;
}

/** A day's shard being written: its writer and the rows gathered for it. */
interface Shard {
  file: string;
  writer: ProcessedFileWriter;
  rows: RowBatchBuilder;
}

export class SchemaPasses {
  private readonly pool: ParsePool;
  private readonly fieldNames: readonly string[];
  private readonly header: number;

  constructor(
    private readonly raw: string,
    private readonly schema: ColumnSchema,
    private readonly input: TextInput,
    private readonly options: PreprocessOptions,
    workers: number,
    blockBytes: number | undefined,
  ) {
    this.pool = new ParsePool(Math.max(1, workers), blockBytes);
    this.fieldNames = new DelimitedRowParser(schema, options.maxIndRange).fieldNames;
    // data lines are numbered by position after the header: sub-sampling, random and block splits use it
    this.header = input.parseSchema(schema).header ? 1 : 0;
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }

  /** One pass: each parsed block (in file order) goes to onBlock with the number of lines before it. */
  private async pass(
    label: string,
    passSchema: ColumnSchema,
    rawDense: boolean,
    onBlock: (block: ParsedBlock, firstLine: number) => void | Promise<void>,
    hash?: crypto.Hash,
  ): Promise<{ dataLines: number; rows: number; invalid: number }> {
    const { day } = this.input;
    const options = this.options;
    const bar = startProgress(label, Math.max(1, Math.round(day.endByte / 1e6)), 'MB');
    let bytesRead = 0,
      lines = 0,
      rows = 0,
      invalid = 0;
    let firstInvalid: UserError | undefined;
    const parse: ParseOptions = {
      maxIndRange: options.maxIndRange,
      subsampleRate: options.dataSubSampleRate,
      seed: options.seed,
      skipInvalid: options.skipInvalidLines,
      partitionBounds: [0, this.schema.categorical.length],
      skipHeader: passSchema.header,
      rawDense,
    };
    try {
      await this.pool.init(passSchema, parse);
      const onBytes = (n: number): void => {
        bytesRead += n;
        bar.update(Math.round(bytesRead / 1e6), `${formatCount(lines)} lines`);
      };
      for await (const { block, firstLine } of this.pool.parse(day, onBytes, hash)) {
        if (block.firstError) {
          const e = block.firstError;
          const err = inputError(
            {
              ...this.input.where(day.firstLineNumber + firstLine + e.line),
              field: e.field,
              fieldName: e.field === undefined ? undefined : this.fieldNames[e.field - 1],
            },
            e.message,
          );
          if (!options.skipInvalidLines) throw err;
          firstInvalid ??= err;
        }
        invalid += block.invalidLines;
        rows += block.rows;
        lines = firstLine + block.lines;
        await onBlock(block, firstLine);
      }
      if (rows + invalid === 0 && options.dataSubSampleRate === 0)
        throw new UserError(`${this.raw}: no data lines${this.header ? ' after the header' : ' (the file is empty)'}`);
      if (firstInvalid && label === 'scan')
        log().warn(
          { invalidLines: invalid },
          `skipping invalid lines (--skip-invalid-lines); the first: ${firstInvalid.message}`,
        );
      return { dataLines: lines - this.header, rows, invalid };
    } finally {
      bar.stop();
    }
  }

  /** The scan pass: lines, sha256, standardize statistics, the split's dates, key counts (--min-frequency). */
  async scan(vocabs: Vocabulary[]): Promise<ScanResult> {
    const { schema, options } = this;
    const split = schema.split;
    const D = schema.dense.length;
    const standardize = schema.dense.map((d) => d.transform === 'standardize' && d.mean === undefined);
    // Welford's running mean and sum of squared deviations (stable for large values with a small spread)
    const stats = schema.dense.map(() => ({ n: 0, mean: 0, m2: 0 }));
    const trainDates = new Map<string, number>();
    const isTrainDate = new Map<string, boolean>();
    const hash = crypto.createHash('sha256');
    const { day } = this.input;
    const first = await this.pass(
      'scan',
      this.input.parseSchema(schema),
      standardize.some((x) => x),
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
        if (split?.by === 'date') {
          const dates = block.dates as string[];
          for (let r = 0; r < n; r++) {
            const d = dates[r];
            if (d === '')
              throw inputError(
                { ...this.input.where(day.firstLineNumber + firstLine + rowLine(block, r)), field: split.column },
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
      this.input.sha256 === undefined ? hash : undefined,
    );
    const finalSchema = JSON.parse(JSON.stringify(schema)) as ColumnSchema;
    finalSchema.dense.forEach((d, k) => {
      if (!standardize[k]) return;
      const s = stats[k];
      const std = s.n > 1 ? Math.sqrt(s.m2 / (s.n - 1)) : 0;
      d.mean = s.mean;
      d.std = std > 0 ? std : 1;
    });
    if (options.minFrequency > 1) vocabs.forEach((v) => v.finishCounting());
    return { ...first, sha256: this.input.sha256 ?? hash.digest('hex'), finalSchema, trainDates };
  }

  /**
   * The route pass: every row of a day from `daysDone` on is written to its day's shard in `workDir`
   * (training days, then the holdout: shardName(trainDays.length)). `onDays` gets the days committed so far,
   * in order, each time some are (a contiguous router: as they complete; otherwise all at the end).
   */
  async route(
    scan: ScanResult,
    router: RowRouter,
    vocabs: Vocabulary[],
    workDir: string,
    daysDone: number,
    onDays: (days: DayCheckpoint[]) => Promise<void>,
  ): Promise<void> {
    const { raw, options } = this;
    const D = this.schema.dense.length,
      T = this.schema.categorical.length;
    const N = router.trainDays.length;
    if (daysDone > N) return; // every day, the holdout included, is done
    const many = N > MANY_SHARDS;
    const flushRows = many ? FLUSH_ROWS / 16 : FLUSH_ROWS;
    const open: Shard[] = [];
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
      open.push(s);
      return s;
    };
    const flush = (s: Shard): void => {
      const b = s.rows.take();
      if (b.size > 0) s.writer.append(b.labels, b.dense, b.sparse);
    };
    const dayMeta = (name: string, rows: number): object => ({
      kind: 'dlrm-day-shard',
      day: name,
      rows,
      source: raw,
      options,
      schema: scan.finalSchema,
    });
    // days[d] for d in [daysDone, N]: N is the holdout (halved: all of it; else its test rows, val beside it)
    const days: (Shard | undefined)[] = [];
    const shardOf = (d: number): Shard =>
      (days[d] ??= openShard(d < N || router.halved ? shardName(d) : 'test.partial.dlrm'));
    let val: Shard | undefined;
    let next = daysDone; // the first day not committed yet
    /** Commits days [next, upTo) and hands them on for their checkpoint. */
    const commitBefore = async (upTo: number): Promise<void> => {
      const committed: DayCheckpoint[] = [];
      for (; next < upTo; next++) {
        const s = shardOf(next);
        flush(s);
        if (next < N) {
          s.writer.commit(dayMeta(router.trainDays[next], s.writer.rows));
          committed.push({ name: router.trainDays[next], rows: s.writer.rows, lines: s.writer.rows, invalidLines: 0 });
          continue;
        }
        if (router.halved) {
          s.writer.commit(dayMeta('holdout', s.writer.rows));
          committed.push({ name: 'holdout', rows: s.writer.rows, lines: s.writer.rows, invalidLines: 0 });
          continue;
        }
        const v = (val ??= openShard('val.partial.dlrm'));
        flush(v);
        const testRows = s.writer.rows,
          rows = testRows + v.writer.rows;
        s.writer.commit({});
        v.writer.commit({});
        concatShards([s.file, v.file], path.join(workDir, shardName(N)), D, T, dayMeta('holdout', rows));
        for (const f of [s.file, v.file]) fs.rmSync(f);
        committed.push({ name: 'holdout', rows, lines: rows, invalidLines: 0, testRows });
      }
      if (committed.length > 0) await onDays(committed);
    };

    try {
      const from = new Uint32Array(T),
        to = new Uint32Array(T);
      const header = this.header;
      const second = await this.pass(
        'route',
        this.input.parseSchema(scan.finalSchema),
        false,
        async (block, firstLine) => {
          const n = block.rows;
          if (n === 0) return;
          const dayOf = (r: number): number => {
            const route = router.route(firstLine + rowLine(block, r) - header, block.dates ? block.dates[r] : '');
            return route === TEST ? N : route === VAL ? N + 1 : route;
          };
          // a resumed run's completed days: their keys are in the restored vocabularies already
          if (router.contiguous && dayOf(n - 1) < daysDone) return;
          const indices = block.keys.map((keys, t) => {
            const count = keys.offsets ? keys.offsets[n] : n;
            const out = new Uint32Array(count);
            vocabs[t].assign(keys.lo, keys.hi, 0, count, out);
            return out;
          });
          for (let r = 0; r < n; r++) {
            const d = dayOf(r);
            if (d < daysDone) continue;
            let shard: Shard;
            if (d === N + 1) shard = val ??= openShard('val.partial.dlrm');
            else {
              if (router.contiguous && d > next) await commitBefore(d);
              shard = shardOf(d);
            }
            for (let t = 0; t < T; t++) {
              const offsets = block.keys[t].offsets;
              from[t] = offsets ? offsets[r] : r;
              to[t] = offsets ? offsets[r + 1] : r + 1;
            }
            shard.rows.push(block.labels[r], block.dense, r * D, indices, from, to);
            if (shard.rows.size >= flushRows) flush(shard);
          }
        },
      );
      if (second.rows !== scan.rows)
        throw new UserError(
          `${raw}: ${second.rows} rows in the route pass, ${scan.rows} in the scan pass (did the file change while being read?)`,
        );
      await commitBefore(N + 1);
    } catch (err) {
      for (const s of open) s.writer.abort();
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
