// The original Deep & Cross Network of the DLRM paper's comparison (Wang et al. 2017), `--model dcn`. Per
// sample, x_0 = [x, e_1, ..., e_T] (N = (T+1)d values: the bottom MLP's output and the pooled embeddings, the
// same x_0 as the cat and dcn interactions; docs/MODEL.md says why) feeds two networks in parallel:
//   cross: x_{l+1} = x_0 (x_l · w_l) + b_l + x_l,  w_l, b_l [N],  l = 0..L-1 (L = --dcn-cross-layers)
//   deep:  h = the top MLP's hidden layers on x_0, ReLU after every one
// and the logit is the top MLP's last layer over [x_L, h] (weight [1, N + h]), then the sigmoid of the loss.
// Parameters: DlrmParams.cross holds cross layer l as a Linear-shaped pair {weight w_l [1, N], bias b_l [N]}
// (inFeatures N, outFeatures 1: the bias has N entries, not outFeatures), so checkpoints and optimizers
// treat them as ordinary layers; DlrmParams.top holds the deep layers then the output layer.
// Init as deepctr-torch's CrossNet: w_l xavier normal (std sqrt(2/(N+1))), b_l zero; the deep and output
// layers as every Linear (initParams.ts).
import type { DlrmArch } from './arch';
import type { LinearParams } from './params';

/** Width N of x_0 (and of every x_l) for a deepCross arch. */
export function deepCrossWidth(arch: DlrmArch): number {
  return (arch.tableSizes.length + 1) * arch.embeddingDim;
}

/** Zero-filled cross layers: L pairs {w_l [1, N], b_l [N]}. */
export function allocDeepCrossLayers(arch: DlrmArch): LinearParams[] {
  const N = deepCrossWidth(arch);
  return Array.from({ length: arch.deepCross?.crossLayers ?? 0 }, () => ({
    weight: new Float32Array(N),
    bias: new Float32Array(N),
    inFeatures: N,
    outFeatures: 1,
  }));
}
