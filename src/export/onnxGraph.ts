// The DLRM forward as an ONNX graph (opset 17, operators onnxruntime's CPU provider runs), built as
// onnx-proto messages from an architecture and its parameters. N is the dynamic batch dimension.
// Inputs:  dense float32 [N, D] (absent when the model's one dense input is the constant 1 of data without
//          dense features: built in the graph as ones [N, 1]);
//          per table t: indices_t int64 [N] (one index per row), or indices_t int64 [L_t] + offsets_t
//          int64 [N] (a bag per row, PyTorch EmbeddingBag's offsets: row b's bag is
//          indices[offsets[b] .. offsets[b+1]), the last to L_t; offsets[0] = 0, non-decreasing).
//          Indices are those preprocessing assigned (vocabulary order); the training run's --max-ind-range
//          folding (index mod M) is in the graph.
// Output:  probability float32 [N, 1].
// Pooling (sum) of a bag table: each index's row id comes from CumSum of ones scattered at the bag
// starts (ScatterElements, reduction add, so empty bags work), then ScatterND with reduction add sums the
// gathered rows into [N, d]. Interactions: cat = Concat; dot = Concat -> [N, n, d], MatMul with its
// transpose, then a Gather of the kept (i, j) pairs from the flattened [N, n*n] (the reference's order);
// dcn = Concat into x_0 [N, (T+1)d], then per cross layer x_{l+1} = x_0 * Gemm(Gemm(x_l, V_l, transB), W_l,
// b_l, transB) + x_l (initializers under TorchRec's names inter_arch.crossnet.{V_kernels,W_kernels,bias}.<l>).
// --model dcn (src/model/deepCross.ts): x_0 by Concat, per cross layer x_{l+1} = x_0 * MatMul(x_l, w_l [N, 1])
// + b_l + x_l (crossnet.kernels.<l>, crossnet.bias.<l>), the deep layers (Gemm + Relu) on x_0, and the output
// Gemm on Concat(x_L, h).
// Compressed features (src/embedding/compressedLayout.ts): QR pools Gather(weight_q, Div(i, c)) and
// Gather(weight_r, Mod(i, c)) and combines them by Mul | Add | Concat; MD pools its table then MatMul by the
// projection's transpose.
// MLPs are Gemm (transB, PyTorch's [out, in] weights) + Relu; the top MLP ends in Sigmoid (and Clip to
// [t, 1-t] when the training run had --loss-threshold t > 0, as the engines' predictions).
// Initializers at or above `externalThreshold` bytes are marked as external data (location, offset,
// length in `dataFile`, 4096-aligned) and returned for the caller to write; the rest are inline raw_data.
import { onnx } from 'onnx-proto';
import type { DlrmArch } from '../model/arch';
import type { DlrmParams, EmbeddingTableParams, LinearParams } from '../model/params';
import { featureEmbeddings } from '../embedding/compressedLayout';

export const ONNX_OPSET = 17;
/** Alignment of each tensor in the external data file (a page, so a runtime may map it). */
const EXTERNAL_ALIGN = 4096;

export interface OnnxInputLayout {
  /** false: no `dense` input; the model's single dense input is the constant 1, built in the graph. */
  denseInput: boolean;
  /** Per table: true = indices_t + offsets_t (bags), false = indices_t [N] (one index per row). */
  bags: boolean[];
}

export interface OnnxBuildOptions {
  layout: OnnxInputLayout;
  /** The training run's --max-ind-range (> 0: indices are taken mod M in the graph). */
  maxIndRange: number;
  /** The training run's --loss-threshold (> 0: probabilities clipped to [t, 1-t]). */
  lossThreshold: number;
  /** Initializers of at least this many bytes go to the external data file. */
  externalThreshold: number;
  /** The external data file's name, relative to the model file. */
  dataFile: string;
  /** Key/value pairs stored in the model's metadata_props. */
  metadata: Record<string, string>;
}

/** An initializer stored in the external data file at `offset`. */
export interface ExternalTensor {
  name: string;
  parts: Float32Array[];
  offset: number;
  byteLength: number;
}

export interface OnnxModel {
  proto: onnx.IModelProto;
  external: ExternalTensor[];
  /** Size of the external data file (0: none). */
  dataBytes: number;
}

const { DataType } = onnx.TensorProto;
type Attr = number | number[] | string;

/** Accumulates nodes, initializers and inputs; every value gets a fresh name. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly external: ExternalTensor[] = [];
  private dataBytes = 0;
  private counter = 0;

  constructor(private readonly opts: OnnxBuildOptions) {}

  get externalBytes(): number {
    return this.dataBytes;
  }

  /** Adds a node and returns the name of its (first) output. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? `${type.toLowerCase()}_${this.counter++}`;
    const attribute = Object.entries(attrs).map(([name, v]): onnx.IAttributeProto => {
      if (typeof v === 'string') return { name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v) };
      if (Array.isArray(v)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
      return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
    });
    this.nodes.push({ opType: type, input: inputs, output: [out], name: `${type}_${this.nodes.length}`, attribute });
    return out;
  }

  /** A float32 initializer made of `parts` (inline, or external when large). */
  floats(name: string, dims: number[], parts: Float32Array[]): string {
    const byteLength = parts.reduce((s, p) => s + p.byteLength, 0);
    if (byteLength >= this.opts.externalThreshold) {
      const offset = Math.ceil(this.dataBytes / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      this.external.push({ name, parts, offset, byteLength });
      this.dataBytes = offset + byteLength;
      const externalData = [
        { key: 'location', value: this.opts.dataFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(byteLength) },
      ];
      this.initializers.push({
        name,
        dims,
        dataType: DataType.FLOAT,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData,
      });
    } else {
      const raw = Buffer.concat(parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength)));
      this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: raw });
    }
    return name;
  }

  /** An int64 constant initializer. */
  ints(values: number[], dims: number[] = [values.length]): string {
    const name = `const_${this.counter++}`;
    this.initializers.push({ name, dims, dataType: DataType.INT64, int64Data: values });
    return name;
  }

  /** ConstantOfShape of the int64 shape tensor `shape`, every element `value` (float32 or int64). */
  constantOfShape(
    shape: string,
    value: number,
    dataType: onnx.TensorProto.DataType.FLOAT | onnx.TensorProto.DataType.INT64,
  ): string {
    const out = `constantofshape_${this.counter++}`;
    const t: onnx.ITensorProto =
      dataType === DataType.FLOAT
        ? { dims: [1], dataType, floatData: [value] }
        : { dims: [1], dataType, int64Data: [value] };
    this.nodes.push({
      opType: 'ConstantOfShape',
      input: [shape],
      output: [out],
      name: `ConstantOfShape_${this.nodes.length}`,
      attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }],
    });
    return out;
  }
}

const tensorType = (elemType: number, dims: (number | string)[]): onnx.ITypeProto => ({
  tensorType: {
    elemType,
    shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
  },
});

/** The Linear layers of an MLP as Gemm (each followed by Relu, the last one only when `reluLast`). */
function mlp(g: GraphBuilder, prefix: string, input: string, layers: LinearParams[], reluLast: boolean): string {
  let h = input;
  layers.forEach((l, i) => {
    const w = g.floats(`${prefix}.${2 * i}.weight`, [l.outFeatures, l.inFeatures], [l.weight]);
    const b = g.floats(`${prefix}.${2 * i}.bias`, [l.outFeatures], [l.bias]);
    h = g.op('Gemm', [h, w, b], { transB: 1 });
    if (i < layers.length - 1 || reluLast) h = g.op('Relu', [h]);
  });
  return h;
}

/** The dcn cross network on x_0 [N, W]: x_L [N, W]. */
function crossNet(g: GraphBuilder, x0: string, layers: LinearParams[]): string {
  let xl = x0;
  for (let l = 0; 2 * l < layers.length; l++) {
    const [v, w] = [layers[2 * l], layers[2 * l + 1]];
    const vk = g.floats(`inter_arch.crossnet.V_kernels.${l}`, [v.outFeatures, v.inFeatures], [v.weight]);
    const wk = g.floats(`inter_arch.crossnet.W_kernels.${l}`, [w.outFeatures, w.inFeatures], [w.weight]);
    const b = g.floats(`inter_arch.crossnet.bias.${l}`, [w.outFeatures], [w.bias]);
    const z = g.op('Gemm', [g.op('Gemm', [xl, vk], { transB: 1 }), wk, b], { transB: 1 });
    xl = g.op('Add', [g.op('Mul', [x0, z]), xl]);
  }
  return xl;
}

/** --model dcn's logits [N, 1] from x_0 [N, W]: the cross layers, the deep layers and the output layer. */
function deepCross(g: GraphBuilder, x0: string, cross: LinearParams[], top: LinearParams[]): string {
  let xl = x0;
  cross.forEach((c, l) => {
    const w = g.floats(`crossnet.kernels.${l}`, [c.inFeatures, 1], [c.weight]);
    const b = g.floats(`crossnet.bias.${l}`, [c.inFeatures], [c.bias]);
    xl = g.op('Add', [g.op('Add', [g.op('Mul', [x0, g.op('MatMul', [xl, w])]), b]), xl]);
  });
  const h = mlp(g, 'top_l', x0, top.slice(0, -1), true);
  const out = top[top.length - 1];
  const k = 2 * (top.length - 1);
  const w = g.floats(`top_l.${k}.weight`, [out.outFeatures, out.inFeatures], [out.weight]);
  const b = g.floats(`top_l.${k}.bias`, [out.outFeatures], [out.bias]);
  return g.op('Gemm', [g.op('Concat', [xl, h], { axis: 1 }), w, b], { transB: 1 });
}

/** Sum-pooled bags [N, d]: rows of `table` gathered at `indices` [L], summed per bag of `offsets` [N]. */
function bagSum(g: GraphBuilder, table: string, indices: string, offsets: string, d: number): string {
  const L = g.op('Shape', [indices]);
  const starts = g.op('Slice', [offsets, g.ints([1]), g.ints([Number.MAX_SAFE_INTEGER])]); // bag starts after the first
  const marks = g.op(
    'ScatterElements',
    [
      g.constantOfShape(g.op('Add', [L, g.ints([1])]), 0, DataType.INT64),
      starts,
      g.constantOfShape(g.op('Shape', [starts]), 1, DataType.INT64),
    ],
    { axis: 0, reduction: 'add' },
  );
  const rowOf = g.op('Slice', [g.op('CumSum', [marks, g.ints([0], [])]), g.ints([0]), L]); // [L]: the bag of each index
  const gathered = g.op('Gather', [table, indices], { axis: 0 }); // [L, d]
  const zeros = g.constantOfShape(
    g.op('Concat', [g.op('Shape', [offsets]), g.ints([d])], { axis: 0 }),
    0,
    DataType.FLOAT,
  );
  return g.op('ScatterND', [zeros, g.op('Unsqueeze', [rowOf, g.ints([1])]), gathered], { reduction: 'add' });
}

/** The ONNX model of `arch` with `params`. */
export function buildOnnxModel(arch: DlrmArch, params: DlrmParams, opts: OnnxBuildOptions): OnnxModel {
  const g = new GraphBuilder(opts);
  const T = arch.tableSizes.length,
    d = arch.embeddingDim,
    n = T + 1;
  const inputs: onnx.IValueInfoProto[] = [];
  if (opts.layout.denseInput) inputs.push({ name: 'dense', type: tensorType(DataType.FLOAT, ['N', arch.mlpBot[0]]) });
  const features = featureEmbeddings(arch);
  const pooled = params.tables.map((t, i) => {
    const bag = opts.layout.bags[i];
    inputs.push({ name: `indices_${i}`, type: tensorType(DataType.INT64, [bag ? `L_${i}` : 'N']) });
    if (bag) inputs.push({ name: `offsets_${i}`, type: tensorType(DataType.INT64, ['N']) });
    const indices =
      opts.maxIndRange > 0 ? g.op('Mod', [`indices_${i}`, g.ints([opts.maxIndRange], [])]) : `indices_${i}`;
    const lookup = (name: string, p: EmbeddingTableParams, at: string): string => {
      const table = g.floats(`emb_l.${i}.${name}`, [p.rows, p.dim], p.chunks);
      return bag ? bagSum(g, table, at, `offsets_${i}`, p.dim) : g.op('Gather', [table, at], { axis: 0 });
    };
    const f = features[i],
      c = params.compressed?.[i];
    if (f.kind === 'plain' || !c) return lookup('weight', t, indices);
    if (f.kind === 'qr') {
      // q = floor(i / c) (integer Div of non-negative indices), r = i mod c; each pooled, then combined
      const collisions = g.ints([f.collisions], []);
      const q = lookup('weight_q', c.tables[0], g.op('Div', [indices, collisions]));
      const r = lookup('weight_r', c.tables[1], g.op('Mod', [indices, collisions]));
      return f.operation === 'concat'
        ? g.op('Concat', [q, r], { axis: 1 })
        : g.op(f.operation === 'mult' ? 'Mul' : 'Add', [q, r]);
    }
    const e = lookup('embs.weight', c.tables[0], indices);
    if (!c.projection) return e;
    const proj = g.floats(`emb_l.${i}.proj.weight`, [d, f.dim], [c.projection]);
    return g.op('MatMul', [e, g.op('Transpose', [proj], { perm: [1, 0] })]); // the bias-free Linear: e Pᵀ
  });
  let dense = 'dense';
  if (!opts.layout.denseInput) {
    const rows = opts.layout.bags[0] ? g.op('Shape', ['offsets_0']) : g.op('Shape', ['indices_0']);
    dense = g.constantOfShape(g.op('Concat', [rows, g.ints([1])], { axis: 0 }), 1, DataType.FLOAT);
  }
  const x = mlp(g, 'bot_l', dense, params.bottom, true);
  let z: string;
  if (arch.interaction === 'cat') {
    z = g.op('Concat', [x, ...pooled], { axis: 1 });
  } else if (arch.interaction === 'dcn') {
    z = crossNet(g, g.op('Concat', [x, ...pooled], { axis: 1 }), params.cross ?? []);
  } else {
    const m = g.op('Reshape', [g.op('Concat', [x, ...pooled], { axis: 1 }), g.ints([-1, n, d])]);
    const gram = g.op('MatMul', [m, g.op('Transpose', [m], { perm: [0, 2, 1] })]);
    const pairs: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < (arch.interactionItself ? i + 1 : i); j++) pairs.push(i * n + j);
    z = g.op(
      'Concat',
      [x, g.op('Gather', [g.op('Reshape', [gram, g.ints([-1, n * n])]), g.ints(pairs)], { axis: 1 })],
      { axis: 1 },
    );
  }
  // --model dcn: z is its x_0 (the cat interaction's output)
  const logits = arch.deepCross
    ? deepCross(g, z, params.cross ?? [], params.top)
    : mlp(g, 'top_l', z, params.top, false);
  let p = g.op('Sigmoid', [logits]);
  if (opts.lossThreshold > 0) {
    const bound = (v: number): string => g.floats(`clip_${v}`, [], [new Float32Array([v])]);
    p = g.op('Clip', [p, bound(opts.lossThreshold), bound(1 - opts.lossThreshold)]);
  }
  g.op('Identity', [p], {}, 'probability');
  const graph: onnx.IGraphProto = {
    name: 'dlrm',
    node: g.nodes,
    initializer: g.initializers,
    input: inputs,
    output: [{ name: 'probability', type: tensorType(DataType.FLOAT, ['N', 1]) }],
  };
  const proto: onnx.IModelProto = {
    irVersion: onnx.Version.IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'dlrm',
    graph,
    metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
  };
  return { proto, external: g.external, dataBytes: g.externalBytes };
}
