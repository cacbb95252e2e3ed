// Allocation of DlrmParams (zero-filled host typed arrays in the PyTorch layout) for an architecture.
// Embedding tables [rows, d] are split into chunks of chunkRows rows, a power of two chosen so that one
// chunk stays at or under MAX_CHUNK_BYTES (1 GiB, well under the 2^31-byte typed-array limit). A compressed
// feature (arch.compression) gets a 0-row placeholder in `tables` and its own tables in `compressed`.
import type { DlrmArch } from './arch';
import type { CompressedFeatureParams, DlrmParams, EmbeddingTableParams, LinearParams } from './params';
import { allocCrossNet } from './crossNet';
import { allocDeepCrossLayers, deepCrossWidth } from './deepCross';
import { featureEmbeddings, type FeatureEmbedding } from '../embedding/compressedLayout';

export const MAX_CHUNK_BYTES = 2 ** 30;

/** Rows per chunk for a table of `rows` x `dim` float32 (a power of two, or `rows` when it fits in one chunk). */
export function chunkRowsFor(rows: number, dim: number, maxChunkBytes = MAX_CHUNK_BYTES): number {
  const cap = 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(maxChunkBytes / (dim * 4)))));
  return Math.max(1, Math.min(rows, cap));
}

/** A zero-filled Linear layer, weight [out, in] row-major. */
export function allocLinear(inFeatures: number, outFeatures: number): LinearParams {
  return {
    weight: new Float32Array(inFeatures * outFeatures),
    bias: new Float32Array(outFeatures),
    inFeatures,
    outFeatures,
  };
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

/** deepCross: the deep layers (mlpTop without its last width), then the output layer over [x_L, h]. */
function allocDeepCrossTop(arch: DlrmArch): LinearParams[] {
  const h = arch.mlpTop[arch.mlpTop.length - 2];
  return [...allocMlp(arch.mlpTop.slice(0, -1)), allocLinear(deepCrossWidth(arch) + h, 1)];
}

/** Zero-filled parameters of one compressed feature (see params.ts CompressedFeatureParams). */
function allocCompressed(f: FeatureEmbedding, maxChunkBytes: number): CompressedFeatureParams | undefined {
  if (f.kind === 'qr')
    return {
      tables: [allocEmbeddingTable(f.qRows, f.dim, maxChunkBytes), allocEmbeddingTable(f.rRows, f.dim, maxChunkBytes)],
    };
  if (f.kind === 'md') {
    return {
      tables: [allocEmbeddingTable(f.rows, f.dim, maxChunkBytes)],
      ...(f.dim < f.baseDim ? { projection: new Float32Array(f.baseDim * f.dim) } : {}),
    };
  }
  return undefined;
}

/** Zero-filled parameters for `arch`. */
export function allocDlrmParams(arch: DlrmArch, maxChunkBytes = MAX_CHUNK_BYTES): DlrmParams {
  const features = featureEmbeddings(arch);
  const compressed = features.map((f) => allocCompressed(f, maxChunkBytes));
  const params: DlrmParams = {
    bottom: allocMlp(arch.mlpBot),
    top: arch.deepCross ? allocDeepCrossTop(arch) : allocMlp(arch.mlpTop),
    tables: features.map((f) => allocEmbeddingTable(f.kind === 'plain' ? f.rows : 0, arch.embeddingDim, maxChunkBytes)),
    ...(arch.compression ? { compressed } : {}),
  };
  if (arch.interaction === 'dcn') params.cross = allocCrossNet(arch);
  if (arch.deepCross) params.cross = allocDeepCrossLayers(arch);
  return params;
}
