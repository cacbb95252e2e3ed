// Printing float32 values (model probabilities) as the shortest decimal that reads back as the same
// float32: 0.6931472, not 0.6931471824645996. Nine significant digits always round-trip a float32, and
// if p digits round-trip so do p+1 (the p-digit decimals are a subset of the (p+1)-digit ones), so the
// shortest precision is found by a binary search over 1..9 (about 3 toPrecision calls, not up to 9).

/** The shortest decimal text of `x` (a float32 value) that Math.fround maps back to x. */
export function float32Text(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  let lo = 1;
  let hi = 9;
  let best = Number(x.toPrecision(9));
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = Number(x.toPrecision(mid));
    if (Math.fround(s) === x) {
      best = s;
      hi = mid;
    } else lo = mid + 1;
  }
  return String(best);
}
