// TorchRec's DLRM state_dict (torchrec/models/dlrm.py; under `model.` when saved from DLRMTrain) read as
// the reference DLRM_Net's, for `dlrm import`:
//   sparse_arch.embedding_bag_collection.embedding_bags.t_cat_<t>.weight  -> emb_l.<t>.weight
//   dense_arch.model._mlp.<k>._linear.{weight,bias}                       -> bot_l.<2k>.*
//   over_arch.model.0._mlp.<k>._linear.{weight,bias}                      -> top_l.<2k>.*
//   over_arch.model.1.{weight,bias} (the last Linear)                      -> top_l.<2K>.* (K = the MLP's layers)
// The interaction is TorchRec's InteractionArch, a dot interaction without the diagonal, but it lists the
// pairs of [x, e_0, ..., e_{F-1}] as the upper triangle in row-major order ((0,1), (0,2), ..., (1,2), ...)
// where the reference lists the lower one ((1,0), (2,0), (2,1), ...): the first top layer's columns are
// permuted on import (interactionColumnsFromTorchrec).
import { UserError } from '../util/errors';
import type { SafetensorsEntry } from './safetensors';

const PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^sparse_arch\.embedding_bag_collection\.embedding_bags\.t_cat_(\d+)\.weight$/, (m) => `emb_l.${m[1]}.weight`],
  [/^dense_arch\.model\._mlp\.(\d+)\._linear\.(weight|bias)$/, (m) => `bot_l.${2 * Number(m[1])}.${m[2]}`],
  [/^over_arch\.model\.0\._mlp\.(\d+)\._linear\.(weight|bias)$/, (m) => `top_l.${2 * Number(m[1])}.${m[2]}`],
];
const LAST_LINEAR = /^over_arch\.model\.1\.(weight|bias)$/;

/** Whether the tensors are named as TorchRec's DLRM (with or without DLRMTrain's `model.` prefix). */
export function isTorchrecStateDict(tensors: readonly { name: string }[]): boolean {
  return tensors.some((t) => /^(model\.)?sparse_arch\.embedding_bag_collection\./.test(t.name));
}

/** The entries renamed to the reference's names (same bytes); a tensor TorchRec's DLRM does not have is a UserError. */
export function renameTorchrecStateDict(file: string, tensors: readonly SafetensorsEntry[]): SafetensorsEntry[] {
  const prefixed = tensors.every((t) => t.name.startsWith('model.'));
  const strip = (name: string): string => (prefixed ? name.slice('model.'.length) : name);
  const overLayers = tensors.filter((t) =>
    /^over_arch\.model\.0\._mlp\.\d+\._linear\.weight$/.test(strip(t.name)),
  ).length;
  return tensors.map((t) => {
    const name = strip(t.name);
    for (const [re, to] of PATTERNS) {
      const m = re.exec(name);
      if (m) return { ...t, name: to(m) };
    }
    const last = LAST_LINEAR.exec(name);
    if (last) return { ...t, name: `top_l.${2 * overLayers}.${last[1]}` };
    throw new UserError(
      `${file}: tensor ${t.name} is not part of a TorchRec DLRM state_dict (sparse_arch.embedding_bag_collection.embedding_bags.t_cat_N.weight, dense_arch.model._mlp.K._linear.*, over_arch.model.0._mlp.K._linear.*, over_arch.model.1.*)`,
    );
  });
}

/**
 * Reorders the columns of the first top-MLP weight [out, d + F(F+1)/2] from TorchRec's pair order to the
 * reference's, in place: the reference's column d + b(b-1)/2 + a (pair a < b of the F+1 rows) takes
 * TorchRec's column d + (a(F+1) - a(a+1)/2) + (b - a - 1).
 */
export function interactionColumnsFromTorchrec(
  weight: Float32Array,
  outFeatures: number,
  embeddingDim: number,
  numTables: number,
): void {
  const n = numTables + 1;
  const inFeatures = embeddingDim + (numTables * n) / 2;
  if (weight.length !== outFeatures * inFeatures)
    throw new RangeError(`top layer 0: ${weight.length} weights, expected ${outFeatures} x ${inFeatures}`);
  const from = new Uint32Array(inFeatures);
  for (let k = 0; k < embeddingDim; k++) from[k] = k;
  for (let b = 1; b < n; b++) {
    for (let a = 0; a < b; a++)
      from[embeddingDim + (b * (b - 1)) / 2 + a] = embeddingDim + a * n - (a * (a + 1)) / 2 + (b - a - 1);
  }
  const row = new Float32Array(inFeatures);
  for (let o = 0; o < outFeatures; o++) {
    const w = weight.subarray(o * inFeatures, (o + 1) * inFeatures);
    for (let c = 0; c < inFeatures; c++) row[c] = w[from[c]];
    w.set(row);
  }
}
