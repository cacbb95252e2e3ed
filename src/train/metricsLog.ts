// The metrics JSONL file of `dlrm train --metrics-file` (read by `dlrm report`): one JSON object per
// line, appended as training runs; a resumed run appends a new "run" line to the same file.
//   {"type":"run","runId","runName","startedAt","engine","config":{...}}
// runId is kept in the checkpoints, so a run resumed with --load-model writes its run line again with the
// same id (and name) and the report continues the same curves.
//   {"type":"train","step","epoch","loss","accuracy","lr","samplesPerSec","time"}
// (train "accuracy": of the training predictions over the print window, before each step's update, as the
// reference's training log; absent in files written before it)
//   {"type":"eval","step","epoch","split","rows","auc","logloss","accuracy","ne","calibration","averagePrecision","positiveRate",["best",]"time"}
// ("best": with --save-best only, true when this evaluation's model was kept as the best checkpoint)
// Lines are appended whole with one write each (the file is a log that grows, not an output replaced
// atomically), so a reader never sees half a line from a finished write; a failed append (a full disk) is
// undone: the file is cut back to its earlier size, or removed when the run created it, so no empty or
// half-written metrics file is left. Undefined metrics (NaN) are null.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BinaryMetrics } from '../eval/metrics';
import { isSystemError, systemCause, UserError } from '../util/errors';

export interface TrainLine {
  step: number;
  epoch: number;
  loss: number;
  /** Fraction of the window's rows whose prediction (before the step's update) is on the label's side of 0.5. */
  accuracy: number;
  lr: number;
  samplesPerSec: number;
}

/** A run's name: --run-name, else the metrics file's name without its extension (e.g. kaggle.jsonl -> kaggle). */
export function runNameFor(runName: string | null, metricsFile: string | null): string {
  if (runName !== null) return runName;
  if (metricsFile === null) return 'run';
  return path.basename(metricsFile, path.extname(metricsFile)) || path.basename(metricsFile);
}

export class MetricsLog {
  /** `file` null: every call does nothing. */
  constructor(private readonly file: string | null) {}

  private append(record: Record<string, unknown>): void {
    if (!this.file) return;
    let before: number | undefined;
    try {
      before = fs.statSync(this.file).size;
    } catch {
      before = undefined; // created by this append
    }
    try {
      fs.appendFileSync(this.file, JSON.stringify(record) + '\n');
    } catch (err) {
      try {
        if (before === undefined) fs.rmSync(this.file, { force: true });
        else fs.truncateSync(this.file, before);
      } catch {
        // the append's own error is the one to report
      }
      throw new UserError(
        `--metrics-file ${this.file}: cannot append to it: ${isSystemError(err) ? systemCause(err) : (err as Error).message}`,
      );
    }
  }

  run(runId: string, runName: string, engine: string, config: object, extra: Record<string, unknown> = {}): void {
    this.append({ type: 'run', runId, runName, startedAt: new Date().toISOString(), engine, config, ...extra });
  }

  train(line: TrainLine): void {
    this.append({ type: 'train', ...line, time: new Date().toISOString() });
  }

  /** `best`: undefined without --save-best, else whether this evaluation's checkpoint was kept. */
  eval(step: number, epoch: number, split: string, m: BinaryMetrics, best?: boolean): void {
    this.append({
      type: 'eval',
      step,
      epoch,
      split,
      rows: m.rows,
      auc: m.auc,
      logloss: m.logloss,
      accuracy: m.accuracy,
      ne: m.ne,
      calibration: m.calibration,
      averagePrecision: m.averagePrecision,
      positiveRate: m.positiveRate,
      best,
      time: new Date().toISOString(),
    });
  }
}
