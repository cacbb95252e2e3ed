// Printing float32 values (model probabilities) as the shortest decimal that reads back as the same
// float32: 0.6931472, not 0.6931471824645996.

/** The shortest decimal text of `x` (a float32 value) that Math.fround maps back to x. */
export function float32Text(x: number): string {
  for (let p = 1; p < 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}
