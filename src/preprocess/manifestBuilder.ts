// Builds the manifest (src/dataset/manifest.ts, docs/FORMAT.md "Manifest and vocabularies") of a finished
// preprocessing run, Criteo preset or custom schema, from its checkpoint state: sources, options, tables
// (count, oovIndex, vocabulary file), days and the merged file's splits (train = all days but the last;
// test = the last day's recorded test rows, or its first ceil(n/2) rows; val = the rest).
import * as path from 'node:path';
import {
  type DayInfo,
  type Manifest,
  type PreprocessOptions,
  type SourceFile,
  type TableInfo,
} from '../dataset/manifest';
import { mergedSplits } from '../dataset/mergedFile';
import { shardName, type Checkpoint } from './checkpoint';
import { manifestStamp } from './publish';
import { oovIndex } from './oovIndex';

/** What the manifest takes from the run besides its checkpoint state. */
export interface ManifestParts {
  sources: SourceFile[];
  /** The schema the shards were written with (standardize statistics filled in). */
  schema: Manifest['schema'];
  options: PreprocessOptions;
  tables: TableInfo[];
}

/** The manifest of a finished run: its days (state.days, the last one the holdout) and the merged file's splits. */
export function buildManifest(state: Checkpoint, parts: ManifestParts, mergedFile: string, partsDir: string): Manifest {
  const dayInfos: DayInfo[] = state.days.map((d, i) => ({
    name: d.name,
    rows: d.rows,
    invalidLines: d.invalidLines,
    shard: shardName(i),
  }));
  const last = state.days[state.days.length - 1];
  const trainRows = state.days.slice(0, -1).reduce((s, d) => s + d.rows, 0);
  const splits = mergedSplits(trainRows, last.rows, last.testRows ?? Math.ceil(last.rows / 2));
  return {
    ...manifestStamp(state.createdAt),
    sources: parts.sources,
    schema: parts.schema,
    options: parts.options,
    numDense: parts.schema.dense.length,
    denseTransforms: parts.schema.dense.map((d) => d.transform),
    tables: parts.tables,
    days: dayInfos,
    splits,
    mergedFile: path.relative(partsDir, mergedFile),
    totalRows: trainRows + last.rows,
  };
}

/** The tables of a Criteo-preset run: sizes and the index of the raw value 0 from its checkpoint state. */
export function presetTables(
  state: Checkpoint,
  tableNames: string[],
  vocabFiles: string[],
  rare: boolean,
): TableInfo[] {
  return tableNames.map((name, t) => ({
    name,
    count: state.vocabSizes[t] + (rare ? 1 : 0),
    oovIndex: oovIndex(rare ? state.vocabSizes[t] : -1, state.zeroIndex[t]),
    vocabFile: vocabFiles[t],
  }));
}
