// Writes an ONNX model (src/export/onnxGraph.ts) to disk: the external data file first (each external
// initializer streamed from its typed arrays at its recorded offset, zero padding between), then the
// protobuf, each through AtomicFile, so a failure leaves neither under its final name.
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { AtomicFile } from '../util/atomic';
import type { OnnxModel } from './onnxGraph';

/** Writes `model` to `file` and its external tensors to `dataFile` (a name relative to file's folder); returns the files written. */
export function writeOnnx(file: string, model: OnnxModel, dataFile: string): string[] {
  const written: string[] = [];
  if (model.external.length > 0) {
    const dataPath = path.join(path.dirname(file), dataFile);
    const data = new AtomicFile(dataPath);
    try {
      for (const t of model.external) {
        data.write(new Uint8Array(t.offset - data.size));
        for (const part of t.parts) data.write(part);
      }
      data.commit();
    } catch (err) {
      data.abort();
      throw err;
    }
    written.push(dataPath);
  }
  const out = new AtomicFile(file);
  try {
    out.write(onnx.ModelProto.encode(model.proto).finish());
    out.commit();
  } catch (err) {
    out.abort();
    throw err;
  }
  written.push(file);
  return written;
}
