// Deterministic initialisation of DlrmParams as the reference does it, from one seeded Rng:
//   Linear [out, in]: W ~ N(0, sqrt(2/(in+out))), b ~ N(0, sqrt(1/out));
//   embedding table [n, d]: rows ~ U(-sqrt(1/n), +sqrt(1/n)).
// Draw order: bottom layers (W then b), top layers, then tables in order, row-major, then (dcn) the cross
// layers (src/model/crossNet.ts), so dot and cat models draw as before.
import { Rng } from '../util/random';
import type { DlrmArch } from './arch';
import { allocDlrmParams, MAX_CHUNK_BYTES } from './allocParams';
import type { DlrmParams, EmbeddingTableParams, LinearParams } from './params';
import { initCrossNet } from './crossNet';

function fillNormal(a: Float32Array, std: number, rng: Rng): void {
  for (let i = 0; i < a.length; i++) a[i] = rng.normal() * std;
}

/** Fills a Linear layer in place with the reference's normal init. */
export function initLinear(layer: LinearParams, rng: Rng): void {
  fillNormal(layer.weight, Math.sqrt(2 / (layer.inFeatures + layer.outFeatures)), rng);
  fillNormal(layer.bias, Math.sqrt(1 / layer.outFeatures), rng);
}

/** Fills an embedding table in place with U(-sqrt(1/n), sqrt(1/n)), n = its row count. */
export function initEmbeddingTable(table: EmbeddingTableParams, rng: Rng): void {
  const bound = Math.sqrt(1 / table.rows);
  for (const chunk of table.chunks) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = (2 * rng.next() - 1) * bound;
  }
}

/** Allocates and initialises the parameters of `arch` from `seed`. */
export function initDlrmParams(arch: DlrmArch, seed: number, maxChunkBytes = MAX_CHUNK_BYTES): DlrmParams {
  const params = allocDlrmParams(arch, maxChunkBytes);
  const rng = new Rng(seed);
  for (const layer of params.bottom) initLinear(layer, rng);
  for (const layer of params.top) initLinear(layer, rng);
  for (const table of params.tables) initEmbeddingTable(table, rng);
  if (params.cross) initCrossNet(params.cross, rng);
  return params;
}
