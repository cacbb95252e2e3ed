// The low-rank cross network of the dcn interaction (TorchRec's LowRankCrossNet inside DLRM_DCN's
// InteractionDCNArch). Per sample, x_0 = [x, e_1, ..., e_T] (N = (T+1)d values) and for l = 0..L-1
//   x_{l+1} = x_0 ⊙ (W_l (V_l x_l) + b_l) + x_l,   V_l [r, N], W_l [N, r], b_l [N];
// the interaction's output is x_L [N]. Parameters are held as Linear pairs in DlrmParams.cross (V_l with an
// empty bias, then W_l with b_l), so checkpoints, optimizers and the engines' GEMM helpers treat them as
// ordinary layers. Init as TorchRec: V and W xavier-normal (std sqrt(2/(N+r))), b zero.
import type { DlrmArch } from './arch';
import type { LinearParams } from './params';
import type { Rng } from '../util/random';

/** Width N of x_0 (and of every x_l) for `arch`. */
export function crossWidth(arch: DlrmArch): number {
  return (arch.tableSizes.length + 1) * arch.embeddingDim;
}

/** Zero-filled cross layers for a dcn arch ([] for any other interaction). */
export function allocCrossNet(arch: DlrmArch): LinearParams[] {
  if (arch.interaction !== 'dcn' || !arch.dcn) return [];
  const N = crossWidth(arch),
    r = arch.dcn.lowRankDim;
  const layers: LinearParams[] = [];
  for (let l = 0; l < arch.dcn.numLayers; l++) {
    layers.push({ weight: new Float32Array(r * N), bias: new Float32Array(0), inFeatures: N, outFeatures: r });
    layers.push({ weight: new Float32Array(N * r), bias: new Float32Array(N), inFeatures: r, outFeatures: N });
  }
  return layers;
}

/**
 * Fills the cross layers in place: V and W ~ N(0, sqrt(2/(N+r))) (xavier normal), b = 0; also --model dcn's
 * w_l [1, N] ~ N(0, sqrt(2/(N+1))), b_l = 0 (src/model/deepCross.ts).
 */
export function initCrossNet(layers: LinearParams[], rng: Rng): void {
  for (const layer of layers) {
    const std = Math.sqrt(2 / (layer.inFeatures + layer.outFeatures));
    for (let i = 0; i < layer.weight.length; i++) layer.weight[i] = rng.normal() * std;
    layer.bias.fill(0);
  }
}
