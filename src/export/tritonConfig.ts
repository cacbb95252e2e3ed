// Triton Inference Server's config.pbtxt for an exported ONNX file (onnxruntime backend), from the
// model's own graph inputs and outputs: int64/float32 tensors with every named (dynamic) dimension as -1.
// max_batch_size is 0 (no Triton batching dimension) because bag inputs (indices_t [L_t]) are not
// batch-shaped; the N dimension stays dynamic in dims. The config lives in the model's folder of a Triton
// repository (<repo>/<name>/config.pbtxt, the ONNX file in <repo>/<name>/<version>/), so `name` is that
// folder's name; default_model_filename is set when the file is not model.onnx.
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { UserError } from '../util/errors';

const TRITON_TYPES: Record<number, string> = {
  [onnx.TensorProto.DataType.FLOAT]: 'TYPE_FP32',
  [onnx.TensorProto.DataType.INT64]: 'TYPE_INT64',
};

function tensorEntry(v: onnx.IValueInfoProto): string {
  const t = v.type?.tensorType;
  const type = TRITON_TYPES[t?.elemType ?? 0];
  if (!t || !type) throw new Error(`graph value ${v.name} is not a float32/int64 tensor`);
  const dims = (t.shape?.dim ?? []).map((d) => (d.dimParam ? -1 : Number(d.dimValue)));
  return `  {\n    name: "${v.name}"\n    data_type: ${type}\n    dims: [ ${dims.join(', ')} ]\n  }`;
}

/** Where config.pbtxt goes for the ONNX file `onnxFile`: its model folder (the parent of a numeric version folder), else beside it. */
export function tritonConfigPath(onnxFile: string): string {
  const dir = path.dirname(path.resolve(onnxFile));
  return path.join(/^\d+$/.test(path.basename(dir)) ? path.dirname(dir) : dir, 'config.pbtxt');
}

/** The config.pbtxt text for `graph`, stored in `configFile`, serving `onnxFile`. */
export function tritonConfig(graph: onnx.IGraphProto, configFile: string, onnxFile: string): string {
  const name = path.basename(path.dirname(path.resolve(configFile)));
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new UserError(
      `--triton-config: the model folder name '${name}' is not a valid Triton model name (letters, digits, _ . -)`,
    );
  const lines = [`name: "${name}"`, 'backend: "onnxruntime"', 'max_batch_size: 0'];
  const fileName = path.basename(onnxFile);
  if (fileName !== 'model.onnx') lines.push(`default_model_filename: "${fileName}"`);
  lines.push(`input [\n${(graph.input ?? []).map(tensorEntry).join(',\n')}\n]`);
  lines.push(`output [\n${(graph.output ?? []).map(tensorEntry).join(',\n')}\n]`);
  lines.push('instance_group [ { kind: KIND_CPU } ]');
  return lines.join('\n') + '\n';
}
