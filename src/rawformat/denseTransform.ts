// The dense-column transforms of a schema, applied to one raw value (NaN = missing field) -> float32:
// log1p clips negatives to 0 then log(x+1) exactly like the Criteo parser (missing = 0); none keeps the
// value (missing = 0); standardize gives (x - mean) / std with the column's recorded mean and std
// (missing = the mean, i.e. 0 after the transform).
import { log1pFloat32 } from './criteoParser';
import type { DenseColumn } from './schema';

export function transformDense(col: DenseColumn, v: number): number {
  if (Number.isNaN(v)) return 0;
  switch (col.transform) {
    case 'log1p':
      return v <= 0 ? 0 : log1pFloat32(v);
    case 'none':
      return Math.fround(v);
    case 'standardize':
      return Math.fround((v - (col.mean ?? 0)) / (col.std ?? 1));
  }
}
