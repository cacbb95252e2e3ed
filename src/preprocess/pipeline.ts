// `dlrm preprocess`: raw Criteo days -> per-day processed shards + vocabularies + manifest + merged file
// (docs/PREPROCESS.md). Passes: (Kaggle) count lines and hash train.txt; (--min-frequency) count values;
// then day by day the worker passes of passes.ts (parse, first-appearance indices, shard rows). After each
// day: vocabularies extended, shard committed, checkpoint written (resume), overlapping the next day.
// Finally the manifest and (unless --no-merged-file) the merged file are built (with --data-randomize none it was written along
// with the shards and is only completed; a shuffle in memory gets the rows the shard worker packed
// while writing them) and the work folder is renamed into place. Before any of it the outputs are
// claimed (outputs.ts: no output over an input, the merged file's lock held until the run ends).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { Manifest, PreprocessOptions } from '../dataset/manifest';
import type { ParserLayout } from '../rawformat/layout';
import { loadSchemaPreset } from '../criteo/schemaPresets';
import { kaggleDays, scanLines, terabyteDays } from '../criteo/rawSources';
import type { RawDay } from '../rawformat/blockReader';
import { UserError } from '../util/errors';
import { claimOutputs, outputPaths } from './outputs';
import { log } from '../util/log';
import { firstLines } from '../rawformat/firstLines';
import { Preprocessor } from './passes';
import { buildManifest, shardName, VOCAB_DIR, vocabName } from './manifestBuilder';
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
  verifyShards,
  writeAndSync,
  type Checkpoint,
} from './checkpoint';
import { checkSkippedLines } from './invalidLines';

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
  /** Wall seconds per phase: 'count lines', 'count values', 'days', 'merge'. */
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

/** Runs the whole preprocessing described by `cfg`, holding the lock of its outputs (claimOutputs). */
export async function runPreprocess(cfg: PreprocessConfig): Promise<PreprocessResult> {
  const raw = path.resolve(cfg.rawDataFile);
  const release = claimOutputs(
    outputPaths(cfg),
    cfg.dataSet === 'terabyte' ? terabyteDays(raw).map((d) => d.file) : [raw],
  );
  try {
    return await preprocessClaimed(cfg);
  } finally {
    release();
  }
}

async function preprocessClaimed(cfg: PreprocessConfig): Promise<PreprocessResult> {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  const endPhase = (name: string): void => {
    const now = Date.now();
    phases[name] = (now - phaseStart) / 1000;
    phaseStart = now;
  };
  const schema = loadSchemaPreset(cfg.dataSet);
  const shuffleMemoryBytes = cfg.shuffleMemoryBytes ?? defaultShuffleMemoryBytes();
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
    if (raw.endsWith('.gz'))
      throw new UserError(
        `${raw}: Kaggle input must be the plain train.txt (decompress it first: it is read twice, to count lines and to process them)`,
      );
    days = [
      { name: 'day_0', file: raw, gzip: false, startByte: 0, endByte: fs.statSync(raw).size, firstLineNumber: 1 },
    ];
  }
  await checkFirstLine(days[0], layout);

  // the work folder and resume state
  const freshWorkDir = !fs.existsSync(workDir);
  if (!freshWorkDir && !cfg.resume) {
    throw new UserError(
      `${workDir} holds an interrupted run for ${mergedFile}: rerun with --resume to continue it, or delete that folder to start again`,
    );
  }
  fs.mkdirSync(path.join(workDir, VOCAB_DIR), { recursive: true });
  let cp = cfg.resume ? loadCheckpoint(workDir) : undefined;
  if (cfg.resume && !cp)
    log().info({ workDir }, '--resume: no completed day to resume from; starting at the first day');

  let streamed: StreamedMergedFile | undefined;
  try {
    await pre.start();
    let kaggleSha: string | undefined;
    if (cfg.dataSet === 'kaggle') {
      pre.beginPass('counting lines', days[0].endByte);
      const scan = await scanLines(raw, pre.hashSink(), (done) => pre.bytesProgress(done));
      if (scan.lines < 7)
        throw new UserError(
          `${raw}: has ${scan.lines} lines; Kaggle preprocessing cuts it into 7 days and needs at least 7`,
        );
      kaggleSha = scan.sha256;
      days = kaggleDays(raw, scan);
      endPhase('count lines');
      log().info(
        { file: raw, lines: scan.lines, seconds: phases['count lines'] },
        `counted lines of ${path.basename(raw)}`,
      );
    }
    const inputs = days
      .filter((d, i) => i === 0 || d.file !== days[i - 1].file)
      .map((d) => ({ path: d.file, bytes: fs.statSync(d.file).size, ...(kaggleSha ? { sha256: kaggleSha } : {}) }));
    const fingerprint: Checkpoint['fingerprint'] = { schema, options, inputs };
    if (cp) {
      checkFingerprint(workDir, cp, fingerprint);
      verifyShards(workDir, cp, shardName);
    }
    const { createdAt } = manifestStamp(cp?.createdAt ?? new Date(started).toISOString());
    const state: Checkpoint = cp ?? {
      version: CHECKPOINT_VERSION,
      fingerprint,
      days: [],
      vocabSizes: new Array(T).fill(0),
      zeroIndex: new Array(T).fill(-1),
      createdAt,
    };
    state.createdAt = createdAt;
    cp = state;
    removeStrayFiles(
      workDir,
      new Set([CHECKPOINT_FILE, VOCAB_DIR, ...state.days.map((d) => shardName(d.name))]),
      VOCAB_DIR,
    );

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
      if (fs.fstatSync(fd).size < want)
        throw new UserError(
          `--resume: ${file} is shorter than the checkpoint's ${state.vocabSizes[t]} values; delete ${workDir} and start again`,
        );
      fs.ftruncateSync(fd, want);
      return fd;
    });
    let checkpointed: Promise<void> = Promise.resolve();
    const shardWorker = pre.shardWorker as PreprocessWorker;
    let heldRows: OneHotRows | undefined;
    try {
      if (state.days.length > 0) {
        await pre.restore(
          vocabFds.map((fd, t) => {
            const values = new Uint32Array(state.vocabSizes[t]);
            if (values.length > 0) fs.readSync(fd, values, 0, values.byteLength, 0);
            return values;
          }),
        );
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
      if (merging && options.dataRandomize === 'none' && state.days.length === 0)
        streamed = StreamedMergedFile.open(mergedFile, layout.numDense, T, pre.bounds);
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
          path.join(workDir, shardName(day.name)),
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
        const writes: Promise<void>[] = [];
        fresh.values.forEach((vals, t) => {
          if (vals.length === 0) return;
          if (state.zeroIndex[t] < 0) {
            const z = vals.indexOf(0);
            if (z >= 0) state.zeroIndex[t] = state.vocabSizes[t] + z;
          }
          writes.push(writeAndSync(vocabFds[t], vals, state.vocabSizes[t] * 4));
          state.vocabSizes[t] += vals.length;
          if (state.vocabSizes[t] !== fresh.sizes[t])
            throw new Error(
              `vocabulary ${layout.tableNames[t]}: ${state.vocabSizes[t]} values written, worker holds ${fresh.sizes[t]}`,
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
      for (const fd of vocabFds) fs.closeSync(fd);
    }
    await pre.stop();
    endPhase('days');
    checkSkippedLines(
      raw,
      state.days.reduce((s, d) => s + d.lines, 0),
      state.days.reduce((s, d) => s + d.invalidLines, 0),
    );

    // manifest, merged file, and the parts folder moved into place
    if (frequent) {
      frequent.forEach((f, t) => {
        if (state.vocabSizes[t] !== f)
          throw new Error(
            `vocabulary ${layout.tableNames[t]}: ${state.vocabSizes[t]} frequent values assigned, ${f} counted`,
          );
      });
    }
    const manifest = buildManifest(state, days, layout, options, schema, mergedFile, partsDir, kaggleSha);
    if (cfg.mergedFile === false) {
      // no merged file: one left by an earlier run at this path would disagree with the new parts
      manifest.mergedFile = '';
      fs.rmSync(mergedFile, { force: true });
    } else if (streamed) {
      await streamed.commit(manifest);
      streamed = undefined;
    } else {
      await buildMergedFromShards(manifest, workDir, mergedFile, shuffleMemoryBytes, heldRows);
      heldRows = undefined;
    }
    endPhase('merge');
    fs.rmSync(path.join(workDir, CHECKPOINT_FILE));
    movePartsIntoPlace(manifest, workDir, partsDir);

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
    await streamed?.abort();
    await pre.stop();
    if (err instanceof UserError && freshWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}
