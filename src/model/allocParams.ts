// Allocation of DlrmParams (zero-filled host typed arrays in the PyTorch layout) for an architecture.
// Embedding tables [rows, d] are split into chunks of chunkRows rows, a power of two chosen so that one
// chunk stays at or under MAX_CHUNK_BYTES (1 GiB, well under the 2^31-byte typed-array limit).
import type { DlrmArch } from './arch';
import type { DlrmParams, EmbeddingTableParams, LinearParams } from './params';
import { allocCrossNet } from './crossNet';

export const MAX_CHUNK_BYTES = 2 ** 30;

/** Rows per chunk for a table of `rows` x `dim` float32 (a power of two, or `rows` when it fits in one chunk). */
export function chunkRowsFor(rows: number, dim: number, maxChunkBytes = MAX_CHUNK_BYTES): number {
  const cap = 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(maxChunkBytes / (dim * 4)))));
  return Math.max(1, Math.min(rows, cap));
}

/** A zero-filled Linear layer, weight [out, in] row-major. */
export function allocLinear(inFeatures: number, outFeatures: number): LinearParams {
  return { weight: new Float32Array(inFeatures * outFeatures), bias: new Float32Array(outFeatures), inFeatures, outFeatures };
}

/** The row count of every chunk of a table split into `chunkRows`-row chunks. */
export function chunkSizes(rows: number, chunkRows: number): number[] {
  const sizes: number[] = [];
  for (let start = 0; start < rows; start += chunkRows) sizes.push(Math.min(chunkRows, rows - start));
  return sizes;
}

/** A zero-filled embedding table of `rows` x `dim`, chunked. */
export function allocEmbeddingTable(rows: number, dim: number, maxChunkBytes = MAX_CHUNK_BYTES): EmbeddingTableParams {
  const chunkRows = chunkRowsFor(rows, dim, maxChunkBytes);
  return { rows, dim, chunkRows, chunks: chunkSizes(rows, chunkRows).map((n) => new Float32Array(n * dim)) };
}

/** Zero-filled Linear layers for consecutive widths, e.g. [13, 512, 256] -> 13x512, 512x256. */
export function allocMlp(widths: readonly number[]): LinearParams[] {
  return widths.slice(1).map((out, i) => allocLinear(widths[i], out));
}

/** Zero-filled parameters for `arch`. */
export function allocDlrmParams(arch: DlrmArch, maxChunkBytes = MAX_CHUNK_BYTES): DlrmParams {
  const params: DlrmParams = {
    bottom: allocMlp(arch.mlpBot),
    top: allocMlp(arch.mlpTop),
    tables: arch.tableSizes.map((rows) => allocEmbeddingTable(rows, arch.embeddingDim, maxChunkBytes)),
  };
  if (arch.interaction === 'dcn') params.cross = allocCrossNet(arch);
  return params;
}
