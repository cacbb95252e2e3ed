// Builds the manifest (src/dataset/manifest.ts, docs/FORMAT.md "Manifest and vocabularies") of a finished
// preprocessing run from its checkpoint state: sources, options, tables (count, oovIndex, vocabulary file),
// days and the merged file's splits (train = all days but the last; test = the last day's first ceil(n/2)
// rows; val = the rest).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type DayInfo,
  type Manifest,
  type PreprocessOptions,
  type SourceFile,
  type TableInfo,
} from '../dataset/manifest';
import { mergedSplits } from '../dataset/mergedFile';
import type { ParserLayout } from '../rawformat/layout';
import type { RawDay } from '../rawformat/blockReader';
import type { Checkpoint } from './checkpoint';
import { manifestStamp } from './publish';
import { oovIndex } from './oovIndex';

export const shardName = (day: string): string => `${day}.dlrm`;
export const VOCAB_DIR = 'vocab';
export const vocabName = (table: string): string => `${VOCAB_DIR}/${table}.u32`;

export function buildManifest(
  state: Checkpoint,
  days: RawDay[],
  layout: ParserLayout,
  options: PreprocessOptions,
  schema: Manifest['schema'],
  mergedFile: string,
  partsDir: string,
  kaggleSha?: string,
): Manifest {
  const sources: SourceFile[] = kaggleSha
    ? [{ path: days[0].file, bytes: fs.statSync(days[0].file).size, sha256: kaggleSha }]
    : days.map((d, i) => ({ path: d.file, bytes: fs.statSync(d.file).size, sha256: state.days[i].sha256 ?? '' }));
  const rare = options.minFrequency > 1;
  const tables: TableInfo[] = layout.tableNames.map((name, t) => ({
    name,
    count: state.vocabSizes[t] + (rare ? 1 : 0),
    oovIndex: oovIndex(rare ? state.vocabSizes[t] : -1, state.zeroIndex[t]),
    vocabFile: vocabName(name),
  }));
  const dayInfos: DayInfo[] = state.days.map((d) => ({
    name: d.name,
    rows: d.rows,
    invalidLines: d.invalidLines,
    shard: shardName(d.name),
  }));
  const last = state.days[state.days.length - 1];
  const trainRows = state.days.slice(0, -1).reduce((s, d) => s + d.rows, 0);
  const splits = mergedSplits(trainRows, last.rows, Math.ceil(last.rows / 2));
  return {
    ...manifestStamp(state.createdAt),
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
