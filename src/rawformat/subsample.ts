// The seeded sub-sampling draw of --data-sub-sample-rate: a counter-based hash of (seed, day, line) mapped
// to [0, 1). A label-0 line is dropped iff its draw < rate. Being a pure function of the line's position
// (not of a generator's running state), the decision is the same whatever thread parses the line, whatever
// the block size, and in the counting pass, the assignment pass and a resumed run alike.

import { fmix32 } from '../util/hash';

/** The uniform draw in [0, 1) of line `line` (0-based within its day) of day `day` under `seed`. */
export function subsampleDraw(seed: number, day: number, line: number): number {
  let h = fmix32((seed >>> 0) ^ 0x2545f491);
  h = fmix32(h ^ Math.imul(day + 1, 0x9e3779b1));
  h = fmix32(h ^ (line >>> 0));
  h = fmix32(h ^ Math.floor(line / 4294967296));
  return h / 4294967296;
}
