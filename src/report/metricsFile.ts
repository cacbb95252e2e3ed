// Reads the metrics JSONL files of `dlrm train --metrics-file` (format in src/train/metricsLog.ts and
// docs/REPORT.md) into runs: one per (file, runId), with its train and eval points in file order. A
// resumed run that appends a "run" line with the same runId continues the same run; the first train
// (eval) point after the resume replaces the points at or beyond its step, which a run resumed from an
// earlier checkpoint logs again, so the curves show what the final model went through. Lines of unknown
// type and unknown fields are ignored; a line that is not a JSON object, or a known line with a bad
// field, is a UserError naming the file, line and field. Undefined metrics are written as null.
import * as fs from 'node:fs';
import { inputError, UserError } from '../util/errors';

export interface TrainPoint {
  step: number;
  epoch: number | null;
  loss: number | null;
  /** Training accuracy over the print window (null in files written before it). */
  accuracy: number | null;
  lr: number | null;
  samplesPerSec: number | null;
}

export const EVAL_METRICS = [
  'auc',
  'logloss',
  'accuracy',
  'ne',
  'calibration',
  'averagePrecision',
  'positiveRate',
] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

export interface EvalPoint extends Record<EvalMetric, number | null> {
  step: number;
  epoch: number | null;
  split: string;
  rows: number | null;
}

export interface RunRecord {
  file: string;
  runId: string;
  /** The last run line's runName (null in files written before run names). */
  name: string | null;
  engine: string | null;
  startedAt: string | null;
  config: Record<string, unknown> | null;
  /** How many "run" lines (starts and resumes) the file holds for this run. */
  starts: number;
  train: TrainPoint[];
  eval: EvalPoint[];
}

/** The runId given to lines that come before any "run" line. */
export const NO_RUN_LINE = '(no run line)';

type Json = Record<string, unknown>;

function numberField(rec: Json, field: string, at: { file: string; line: number }, required: boolean): number | null {
  const v = rec[field];
  if (v === undefined || v === null) {
    if (required) throw inputError({ ...at, field }, `"${field}" is missing (a number is required)`);
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw inputError({ ...at, field }, `"${field}" must be a number or null, got ${JSON.stringify(v)}`);
  return v;
}

function stringField(rec: Json, field: string, at: { file: string; line: number }): string | null {
  const v = rec[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string')
    throw inputError({ ...at, field }, `"${field}" must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Parses the text of one metrics file into its runs, in order of first appearance. */
export function parseMetricsText(text: string, file: string): RunRecord[] {
  const runs = new Map<string, RunRecord>();
  const runOf = (runId: string): RunRecord => {
    let run = runs.get(runId);
    if (!run)
      runs.set(
        runId,
        (run = {
          file,
          runId,
          name: null,
          engine: null,
          startedAt: null,
          config: null,
          starts: 0,
          train: [],
          eval: [],
        }),
      );
    return run;
  };
  let current: RunRecord | undefined;
  /** Runs resumed by a repeated "run" line whose train / eval points have not restarted yet. */
  const trainResumed = new Set<RunRecord>();
  const evalResumed = new Set<RunRecord>();
  const restart = <P extends { step: number }>(
    points: P[],
    resumed: Set<RunRecord>,
    run: RunRecord,
    step: number,
  ): P[] => {
    if (!resumed.delete(run)) return points;
    return points.filter((p) => p.step < step);
  };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const at = { file, line: i + 1 };
    const line = raw.trim();
    if (line === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      throw inputError(at, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec))
      throw inputError(at, 'each line must be a JSON object');
    const obj = rec as Json;
    const type = obj.type;
    if (typeof type !== 'string')
      throw inputError({ ...at, field: 'type' }, '"type" must be a string ("run", "train" or "eval")');
    if (type === 'run') {
      const runId = stringField(obj, 'runId', at);
      if (runId === null) throw inputError({ ...at, field: 'runId' }, '"runId" is missing');
      current = runOf(runId);
      current.starts++;
      if (current.starts > 1) {
        trainResumed.add(current);
        evalResumed.add(current);
      }
      current.name = stringField(obj, 'runName', at) ?? current.name;
      current.engine = stringField(obj, 'engine', at) ?? current.engine;
      current.startedAt = current.startedAt ?? stringField(obj, 'startedAt', at);
      const config = obj.config;
      if (config !== undefined && config !== null) {
        if (typeof config !== 'object' || Array.isArray(config))
          throw inputError({ ...at, field: 'config' }, '"config" must be an object');
        current.config = config as Json;
      }
    } else if (type === 'train') {
      const run = (current = current ?? runOf(NO_RUN_LINE));
      const point: TrainPoint = {
        step: numberField(obj, 'step', at, true) as number,
        epoch: numberField(obj, 'epoch', at, false),
        loss: numberField(obj, 'loss', at, false),
        accuracy: numberField(obj, 'accuracy', at, false),
        lr: numberField(obj, 'lr', at, false),
        samplesPerSec: numberField(obj, 'samplesPerSec', at, false),
      };
      run.train = restart(run.train, trainResumed, run, point.step);
      run.train.push(point);
    } else if (type === 'eval') {
      const run = (current = current ?? runOf(NO_RUN_LINE));
      const point: EvalPoint = {
        step: numberField(obj, 'step', at, true) as number,
        epoch: numberField(obj, 'epoch', at, false),
        split: stringField(obj, 'split', at) ?? 'test',
        rows: numberField(obj, 'rows', at, false),
        auc: null,
        logloss: null,
        accuracy: null,
        ne: null,
        calibration: null,
        averagePrecision: null,
        positiveRate: null,
      };
      for (const m of EVAL_METRICS) point[m] = numberField(obj, m, at, false);
      run.eval = restart(run.eval, evalResumed, run, point.step);
      run.eval.push(point);
    }
  });
  return [...runs.values()];
}

/** Reads and parses one metrics file. */
export function readMetricsFile(file: string): RunRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`--metrics: cannot read ${file}: ${(err as Error).message}`);
  }
  return parseMetricsText(text, file);
}
