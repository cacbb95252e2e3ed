// The one RowRouter of `dlrm preprocess`: which output day (shard) each input row goes to. Every split is a
// list of training days followed by one holdout day (the merged file's test/val rows):
// - blocks (Kaggle's 7 days, a schema's `blocks` split): contiguous line ranges of the reference's sizes
//   (kaggleDaySizes), the last block the holdout, halved into test then val; the Criteo pipeline reads
//   Kaggle's days as the byte ranges of these line counts (dayLines), so it never routes row by row;
// - date: one training day per distinct date before `test`, in date order; rows dated from `test` on are
//   test (from `val` on: val), or the halved holdout when `val` is absent;
// - random: one training day; each row is test or val by a seeded draw on its data line.
// (Terabyte's days are its files, read one by one.)
// route(dataLine, date) gives a training day (0-based), TEST or VAL; dataLine is 0-based after the header.
// A contiguous router's days are line ranges in order, so a day is complete once a later day's row is seen
// (the pipeline then commits it and writes a checkpoint).
import { kaggleDaySizes } from '../criteo/rawSources';
import { compareDates } from '../rawformat/loadSchema';
import type { SplitSpec } from '../rawformat/schema';
import { subsampleDraw } from '../rawformat/subsample';

/** Holdout routes (training days are 0, 1, ...). */
export const TEST = -1;
export const VAL = -2;
/** The "day" number of the random split's draws (sub-sampling uses day 0: independent draws). */
const RANDOM_SPLIT_STREAM = 0x5eed;

export interface RowRouter {
  /** The training days' names, in order (the holdout day follows them). */
  readonly trainDays: string[];
  /** The holdout is halved (test = its first ceil(n/2) rows) rather than test rows then val rows. */
  readonly halved: boolean;
  /** Days are contiguous line ranges in day order (blocks). */
  readonly contiguous: boolean;
  /** Contiguous routers: the lines of each day, the holdout's last. */
  readonly dayLines?: number[];
  /** The day of a row: a training day index, TEST or VAL. */
  route(dataLine: number, date: string): number;
}

/** `blocks` contiguous blocks of `dataLines` lines (reference sizes); the last is the halved holdout. */
export function blocksRouter(dataLines: number, blocks: number): RowRouter {
  const dayLines = kaggleDaySizes(dataLines, blocks);
  const blockEnd: number[] = [];
  dayLines.reduce((s, n) => (blockEnd.push(s + n), s + n), 0);
  let block = 0;
  return {
    trainDays: blockEnd.slice(0, -1).map((_, d) => `day_${d}`),
    halved: true,
    contiguous: true,
    dayLines,
    route(dataLine) {
      if (dataLine < (block > 0 ? blockEnd[block - 1] : 0)) block = 0;
      while (dataLine >= blockEnd[block]) block++;
      return block === blocks - 1 ? TEST : block;
    },
  };
}

/** The schema's split over the scan pass's findings (data lines; the row counts of training dates). */
export function splitRouter(
  split: SplitSpec,
  scan: { dataLines: number; trainDates: Map<string, number> },
  seed: number,
): RowRouter {
  if (split.by === 'blocks') return blocksRouter(scan.dataLines, split.blocks);
  if (split.by === 'date') {
    const trainDays = [...scan.trainDates.keys()].sort(compareDates);
    const routes = new Map(trainDays.map((d, i) => [d, i]));
    return {
      trainDays,
      halved: split.val === undefined,
      contiguous: false,
      route(_dataLine, d) {
        let route = routes.get(d);
        if (route === undefined) {
          route = split.val !== undefined && compareDates(d, split.val) >= 0 ? VAL : TEST;
          routes.set(d, route);
        }
        return route;
      },
    };
  }
  return {
    trainDays: ['train'],
    halved: false,
    contiguous: false,
    route(dataLine) {
      const u = subsampleDraw(seed, RANDOM_SPLIT_STREAM, dataLine);
      return u < split.test ? TEST : u < split.test + split.val ? VAL : 0;
    },
  };
}
