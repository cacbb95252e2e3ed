// Our DlrmParams under the reference PyTorch DLRM_Net's state_dict names (both in PyTorch's layout, so
// no value moves): `emb_l.<t>.weight` [rows, d] per table, then `bot_l.<K>.weight` [out, in] /
// `bot_l.<K>.bias` [out] and the same for `top_l`, where K = 2i is the Linear's position in the
// nn.Sequential that create_mlp builds (Linear, ReLU/Sigmoid, Linear, ...). Also the DLRM_Net constructor
// arguments that rebuild the module for load_state_dict, and the reverse mapping for `dlrm import`.
// A dcn model adds its cross layers under TorchRec's LowRankCrossNet names (DLRM_DCN's inter_arch):
// `inter_arch.crossnet.V_kernels.<l>` [r, N], `inter_arch.crossnet.W_kernels.<l>` [N, r],
// `inter_arch.crossnet.bias.<l>` [N] (DLRM_Net itself has no dcn: its kwargs then only describe the shapes).
// A --model dcn model (the original DCN, src/model/deepCross.ts) has no reference module either: its deep
// layers and output layer are `top_l.<K>` like a top MLP (the output's weight [1, N + h] reads [x_L, h]) and
// its cross layers `crossnet.kernels.<l>` [N] and `crossnet.bias.<l>` [N] (deepctr-torch's CrossNet names,
// one tensor per layer).
// Compressed features take the reference modules' names: QREmbeddingBag `emb_l.<t>.weight_q` [ceil(n/c), e]
// and `emb_l.<t>.weight_r` [c, e]; PrEmbeddingBag `emb_l.<t>.embs.weight` [n, m] and, when m < d,
// `emb_l.<t>.proj.weight` [d, m] (its nn.Linear; nn.Identity holds nothing).
import type { DcnShape, DlrmArch } from '../model/arch';
import type { DlrmParams, EmbeddingTableParams, LinearParams } from '../model/params';
import { featureEmbeddings } from '../embedding/compressedLayout';
import { UserError } from '../util/errors';

/** One float32 tensor: its name, shape and the typed arrays holding it (row-major, in order). */
export interface NamedTensor {
  name: string;
  shape: number[];
  parts: Float32Array[];
}

/**
 * The state_dict of DLRM_Net, in its own order (emb_l, bot_l, top_l: the order its __init__ creates them);
 * `deepCross`: the params are a --model dcn model's (cross layers w_l, b_l).
 */
export function referenceStateDict(params: DlrmParams, deepCross = false): NamedTensor[] {
  const mlp = (prefix: string, layers: LinearParams[]): NamedTensor[] =>
    layers.flatMap((l, i) => [
      { name: `${prefix}.${2 * i}.weight`, shape: [l.outFeatures, l.inFeatures], parts: [l.weight] },
      { name: `${prefix}.${2 * i}.bias`, shape: [l.outFeatures], parts: [l.bias] },
    ]);
  return [
    ...params.tables.flatMap((_, i) => embeddingTensors(params, i)),
    ...mlp('bot_l', params.bottom),
    ...mlp('top_l', params.top),
    ...(deepCross ? deepCrossStateDict(params.cross ?? []) : crossStateDict(params.cross ?? [])),
  ];
}

/** --model dcn's cross layers: crossnet.kernels.<l> [N], crossnet.bias.<l> [N]. */
function deepCrossStateDict(cross: LinearParams[]): NamedTensor[] {
  return cross.flatMap((c, l) => [
    { name: `crossnet.kernels.${l}`, shape: [c.inFeatures], parts: [c.weight] },
    { name: `crossnet.bias.${l}`, shape: [c.inFeatures], parts: [c.bias] },
  ]);
}

const CROSS_PREFIX = 'inter_arch.crossnet';

/** The cross layers (DlrmParams.cross: V_l, W_l pairs) under TorchRec's LowRankCrossNet names. */
function crossStateDict(cross: LinearParams[]): NamedTensor[] {
  const out: NamedTensor[] = [];
  for (let l = 0; 2 * l < cross.length; l++) {
    const [v, w] = [cross[2 * l], cross[2 * l + 1]];
    out.push({ name: `${CROSS_PREFIX}.V_kernels.${l}`, shape: [v.outFeatures, v.inFeatures], parts: [v.weight] });
    out.push({ name: `${CROSS_PREFIX}.W_kernels.${l}`, shape: [w.outFeatures, w.inFeatures], parts: [w.weight] });
    out.push({ name: `${CROSS_PREFIX}.bias.${l}`, shape: [w.outFeatures], parts: [w.bias] });
  }
  return out;
}

/** The cross network's shape from its tensors (undefined when it has none), checking them; adds their names to `known`. */
function crossShape(
  file: string,
  byName: Map<string, number[]>,
  width: number,
  known: Set<string>,
): DcnShape | undefined {
  let layers = 0,
    rank = 0;
  for (; byName.has(`${CROSS_PREFIX}.V_kernels.${layers}`); layers++) {
    const names = ['V_kernels', 'W_kernels', 'bias'].map((k) => `${CROSS_PREFIX}.${k}.${layers}`);
    const [v, w, b] = names.map((n) => byName.get(n));
    if (layers === 0) rank = v?.[0] ?? 0;
    const want = [[rank, width], [width, rank], [width]];
    [v, w, b].forEach((shape, k) => {
      if (!shape || shape.join(',') !== want[k].join(','))
        throw new UserError(
          `${file}: ${names[k]} ${shape ? `has shape [${shape.join(', ')}]` : 'is missing'}, expected [${want[k].join(', ')}]`,
        );
    });
    names.forEach((n) => known.add(n));
  }
  return layers > 0 ? { numLayers: layers, lowRankDim: rank } : undefined;
}

/** The tensors of feature t's embedding module emb_l.<t>. */
function embeddingTensors(params: DlrmParams, t: number): NamedTensor[] {
  const c = params.compressed?.[t];
  const table = (name: string, p: EmbeddingTableParams): NamedTensor => ({
    name: `emb_l.${t}.${name}`,
    shape: [p.rows, p.dim],
    parts: p.chunks,
  });
  if (!c) return [table('weight', params.tables[t])];
  if (c.tables.length === 2) return [table('weight_q', c.tables[0]), table('weight_r', c.tables[1])];
  const d = params.tables[t].dim,
    m = c.tables[0].dim;
  return [
    table('embs.weight', c.tables[0]),
    ...(c.projection ? [{ name: `emb_l.${t}.proj.weight`, shape: [d, m], parts: [c.projection] }] : []),
  ];
}

/** DLRM_Net(...) keyword arguments for `arch` (sigmoid only on the top MLP's last layer, as the reference's main does). */
export function dlrmNetKwargs(arch: DlrmArch, lossThreshold: number): Record<string, unknown> {
  return {
    m_spa: arch.embeddingDim,
    ln_emb: arch.tableSizes,
    ln_bot: arch.mlpBot,
    ln_top: arch.mlpTop,
    arch_interaction_op: arch.interaction,
    arch_interaction_itself: arch.interactionItself,
    sigmoid_bot: -1,
    sigmoid_top: arch.mlpTop.length - 2,
    loss_threshold: lossThreshold,
    ...(arch.dcn ? { dcn_num_layers: arch.dcn.numLayers, dcn_low_rank_dim: arch.dcn.lowRankDim } : {}),
    ...(arch.deepCross ? { model: 'dcn', dcn_cross_layers: arch.deepCross.crossLayers } : {}),
    ...compressionKwargs(arch),
  };
}

/** The DLRM_Net QR/MD arguments (m_spa is then the half width for concat, the per-table dims for MD). */
function compressionKwargs(arch: DlrmArch): Record<string, unknown> {
  const { qr, md } = arch.compression ?? {};
  if (qr) {
    return {
      ...(qr.operation === 'concat' ? { m_spa: arch.embeddingDim / 2 } : {}),
      qr_flag: true,
      qr_operation: qr.operation,
      qr_collisions: qr.collisions,
      qr_threshold: qr.threshold,
    };
  }
  if (md) return { m_spa: featureEmbeddings(arch).map((f) => f.dim), md_flag: true, md_threshold: md.threshold };
  return {};
}

/** A tensor's name and shape, as read from a file. */
export interface TensorShape {
  name: string;
  shape: number[];
}

/** The widths an MLP's `prefix.K.weight` shapes give ([in, out1, out2, ...]), checking K = 0, 2, 4, ... and the biases. */
function mlpWidths(file: string, prefix: string, byName: Map<string, number[]>): number[] {
  const widths: number[] = [];
  for (let k = 0; byName.has(`${prefix}.${k}.weight`); k += 2) {
    const w = byName.get(`${prefix}.${k}.weight`) as number[];
    const b = byName.get(`${prefix}.${k}.bias`);
    if (w.length !== 2)
      throw new UserError(`${file}: ${prefix}.${k}.weight has shape [${w.join(', ')}], expected [out, in]`);
    if (!b || b.length !== 1 || b[0] !== w[0])
      throw new UserError(
        `${file}: ${prefix}.${k}.bias ${b ? `has shape [${b.join(', ')}]` : 'is missing'}, expected [${w[0]}]`,
      );
    if (widths.length === 0) widths.push(w[1]);
    else if (widths[widths.length - 1] !== w[1])
      throw new UserError(
        `${file}: ${prefix}.${k}.weight takes ${w[1]} inputs but the layer before it gives ${widths[widths.length - 1]}`,
      );
    widths.push(w[0]);
  }
  if (widths.length === 0) throw new UserError(`${file}: no ${prefix}.0.weight (not a DLRM_Net state_dict?)`);
  return widths;
}

/** What the tensor shapes of a DLRM_Net state_dict say: MLP widths (with inputs), table sizes, d. */
export interface StateDictShapes {
  mlpBot: number[];
  mlpTop: number[];
  tableSizes: number[];
  embeddingDim: number;
  /** The cross network when the file holds TorchRec LowRankCrossNet tensors (a dcn model). */
  dcn?: DcnShape;
}

/** Reads the architecture's dimensions from state_dict names and shapes; refuses unknown or missing tensors. */
export function shapesFromStateDict(file: string, tensors: readonly TensorShape[]): StateDictShapes {
  const byName = new Map(tensors.map((t) => [t.name, t.shape]));
  const tableSizes: number[] = [];
  let dim = 0;
  for (let t = 0; byName.has(`emb_l.${t}.weight`); t++) {
    const s = byName.get(`emb_l.${t}.weight`) as number[];
    if (s.length !== 2)
      throw new UserError(`${file}: emb_l.${t}.weight has shape [${s.join(', ')}], expected [rows, dim]`);
    if (t > 0 && s[1] !== dim)
      throw new UserError(`${file}: emb_l.${t}.weight has dimension ${s[1]}, emb_l.0.weight ${dim}`);
    dim = s[1];
    tableSizes.push(s[0]);
  }
  if (tableSizes.length === 0) throw new UserError(`${file}: no emb_l.0.weight (not a DLRM_Net state_dict?)`);
  const shapes = {
    mlpBot: mlpWidths(file, 'bot_l', byName),
    mlpTop: mlpWidths(file, 'top_l', byName),
    tableSizes,
    embeddingDim: dim,
  };
  const known = new Set(tableSizes.map((_, t) => `emb_l.${t}.weight`));
  for (const [prefix, widths] of [
    ['bot_l', shapes.mlpBot],
    ['top_l', shapes.mlpTop],
  ] as const) {
    for (let i = 0; i < widths.length - 1; i++) known.add(`${prefix}.${2 * i}.weight`).add(`${prefix}.${2 * i}.bias`);
  }
  const dcn = crossShape(file, byName, (tableSizes.length + 1) * dim, known);
  if (dcn) Object.assign(shapes, { dcn });
  const unknown = tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (unknown.length > 0)
    throw new UserError(
      `${file}: tensors that are not part of a DLRM_Net state_dict: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
    );
  return shapes;
}
