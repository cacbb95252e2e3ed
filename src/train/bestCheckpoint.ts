// `dlrm train --save-best F`: which evaluation's model F keeps. An evaluation is kept when its AUC is
// strictly above the best so far (a NaN AUC, e.g. a one-class split, never is). The best so far (file,
// split, step, AUC) travels in every checkpoint of the run, so a resumed run keeps comparing against it
// when it names the same F and evaluates the same split; otherwise it starts a new best.
import * as fs from 'node:fs';
import type { BestCheckpoint } from '../model/checkpoint';
import { log } from '../util/log';

/** Whether an evaluation with this AUC replaces `best`. */
export function beatsBest(auc: number, best: BestCheckpoint | null): boolean {
  return !Number.isNaN(auc) && (best === null || auc > best.auc);
}

/**
 * The best to compare against at the start of a run: the loaded checkpoint's record when it belongs to
 * this run's --save-best file and evaluation split and that file still exists, else none. Without
 * --save-best nothing is compared and the record is carried on unchanged for a later resume.
 */
export function startingBest(
  saveBest: string | null,
  split: string,
  saved: BestCheckpoint | null | undefined,
): BestCheckpoint | null {
  if (!saved) return null;
  if (saveBest === null) return saved;
  let reason: string | null = null;
  if (saved.file !== saveBest)
    reason = `the checkpoint's best was kept in ${saved.file}, not in --save-best ${saveBest}`;
  else if (saved.split !== split)
    reason = `the checkpoint's best was evaluated on the ${saved.split} split, this run evaluates on ${split}`;
  else if (!fs.existsSync(saveBest)) reason = `${saveBest} no longer exists`;
  if (reason === null) {
    log().info({ saveBest, step: saved.step, auc: saved.auc }, 'resuming the best-checkpoint comparison');
    return saved;
  }
  log().warn({ saveBest, previousBest: saved, reason }, 'starting a new best checkpoint: the next evaluation is kept');
  return null;
}
