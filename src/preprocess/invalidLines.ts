// The verdict on the lines that gave no row, shared by the Criteo and the custom-schema pipelines: a run
// whose every line was invalid (--skip-invalid-lines) or dropped (--data-sub-sample-rate) fails, and nothing
// is published (a 0-row dataset is never what was meant); one that skipped more than SKIPPED_WARN_FRACTION
// of its lines says so as a warning with the count. The first invalid line itself is logged where it is found.
import { UserError } from '../util/errors';
import { log } from '../util/log';

/** Skipping more than this fraction of the lines is worth a warning. */
export const SKIPPED_WARN_FRACTION = 0.01;

/** Throws when all `lines` of `file` were invalid; warns when more than 1% were. */
export function checkSkippedLines(file: string, lines: number, invalidLines: number): void {
  if (invalidLines === 0) return;
  if (invalidLines >= lines) {
    throw new UserError(
      `${file}: all ${lines} lines were invalid (--skip-invalid-lines skipped every one; the first is in the warning above); nothing was written`,
    );
  }
  if (invalidLines > lines * SKIPPED_WARN_FRACTION) {
    const percent = ((100 * invalidLines) / lines).toFixed(1);
    log().warn(
      { invalidLines, lines },
      `${invalidLines} of ${lines} lines (${percent}%) were invalid and skipped (--skip-invalid-lines)`,
    );
  }
}

/** Throws when a run that read `lines` lines of `file` kept no row (sub-sampling dropped what was valid). */
export function checkRowsKept(file: string, lines: number, rows: number, subSampleRate: number): void {
  if (rows > 0) return;
  throw new UserError(
    `${file}: no row is left of its ${lines} lines: --data-sub-sample-rate ${subSampleRate} dropped every valid one (all had label 0); nothing was written`,
  );
}
