// The NumPy .npy header (format version 1.0): the magic "\x93NUMPY", version 1.0, a little-endian u16
// header length, then the Python dict literal {'descr': ..., 'fortran_order': False, 'shape': (...), }
// padded with spaces and ended by '\n' so that the data starts at a multiple of 64 bytes (as numpy
// writes it). The data that follows is the C-order array in the dtype's bytes.

/** The dtypes written here: little-endian float32 and int32. */
export type NpyDtype = '<f4' | '<i4';

const ALIGN = 64;

/** The bytes of a .npy v1.0 header for a C-order array of `dtype` and `shape`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const preamble = 10; // magic (6) + version (2) + header length (2)
  const total = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN;
  const text = dict.padEnd(total - preamble - 1, ' ') + '\n';
  if (text.length > 0xffff) throw new RangeError(`npy header of ${text.length} bytes does not fit version 1.0`);
  const out = new Uint8Array(total);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0, text.length & 0xff, text.length >> 8]);
  out.set(Buffer.from(text, 'latin1'), preamble);
  return out;
}
