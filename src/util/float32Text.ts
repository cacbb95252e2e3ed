// Printing float32 values (model probabilities, dense features) as the shortest decimal that reads back as the same
// float32: 0.6931472, not 0.6931471824645996. Nine significant digits always round-trip a float32, and
// if p digits round-trip so do p+1 (the p-digit decimals are a subset of the (p+1)-digit ones). Most
// probabilities need 8 digits (about 2/3) or 7 (about 1/3), so 8 is tried first, then fewer digits
// down to the first precision that fails: about 2.4 toPrecision calls per value.

/** The shortest decimal text of `x` (a float32 value) that Math.fround maps back to x. */
export function float32Text(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  let best = Number(x.toPrecision(8));
  if (Math.fround(best) !== x) return String(Number(x.toPrecision(9)));
  for (let p = 7; p >= 1; p--) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) !== x) break;
    best = s;
  }
  return String(best);
}
