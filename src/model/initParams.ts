// Deterministic initialisation of DlrmParams as the reference does it, from one seeded Rng:
//   Linear [out, in]: W ~ N(0, sqrt(2/(in+out))), b ~ N(0, sqrt(1/out));
//   embedding table [n, d]: rows ~ U(-sqrt(1/n), +sqrt(1/n)).
// Compressed features (tricks/qr_embedding_bag.py, md_embedding_bag.py and create_emb of the reference):
//   QR tables: both U(sqrt(1/n), 1), n = the feature's categories (the reference's nn.init.uniform_(w, a) with
//   the default upper bound 1); MD table [n, m]: U(-sqrt(1/n), sqrt(1/n)); projection [d, m]: Xavier uniform
//   U(-sqrt(6/(m+d)), sqrt(6/(m+d))).
// Draw order: bottom layers (W then b), top layers, then features in order (a QR feature quotient then
// remainder, an MD feature table then projection), row-major, then (dcn) the cross layers
// (src/model/crossNet.ts) or, --model dcn, each cross layer's w_l, b_l zero (src/model/deepCross.ts), so dot
// and cat models draw as before.
import { Rng } from '../util/random';
import type { DlrmArch } from './arch';
import { allocDlrmParams, MAX_CHUNK_BYTES } from './allocParams';
import { featureEmbeddings } from '../embedding/compressedLayout';
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

function fillUniform(table: EmbeddingTableParams, low: number, high: number, rng: Rng): void {
  for (const chunk of table.chunks) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = low + rng.next() * (high - low);
  }
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
  const features = featureEmbeddings(arch);
  params.tables.forEach((table, t) => {
    initEmbeddingTable(table, rng);
    const f = features[t],
      c = params.compressed?.[t];
    if (!c || f.kind === 'plain') return;
    if (f.kind === 'qr') {
      const low = Math.sqrt(1 / f.categories);
      for (const sub of c.tables) fillUniform(sub, low, 1, rng);
      return;
    }
    initEmbeddingTable(c.tables[0], rng);
    if (c.projection) {
      const bound = Math.sqrt(6 / (f.dim + f.baseDim));
      for (let i = 0; i < c.projection.length; i++) c.projection[i] = (2 * rng.next() - 1) * bound;
    }
  });
  if (params.cross) initCrossNet(params.cross, rng);
  return params;
}
