// `dlrm export`: a trained checkpoint to a file other runtimes load.
//   onnx         the forward graph (src/export/onnxGraph.ts) in --out, large tables in --out's external data
//                file (<out>.data) when the protobuf would pass its 2 GB limit (or from
//                --external-data-threshold), and with --triton-config a Triton config.pbtxt.
//   safetensors  the reference DLRM_Net's state_dict (src/export/stateDict.ts) with the architecture, the
//                DLRM_Net arguments, --max-ind-range and --loss-threshold as string metadata.
// The ONNX inputs' form comes from the data the model was trained on (its manifest, found as dlrm predict
// finds it): multi-hot columns take bags (indices + offsets), the others one index per row, and data
// without dense features gets no `dense` input. A model with no recorded data (random/synthetic, imported)
// takes bags for every table, which also carry one index per row. Outputs are written atomically.
import * as path from 'node:path';
import type { DlrmArch } from '../model/arch';
import { checkModelFitsData, loadInferenceModel, type InferenceModel } from '../predict/inferenceModel';
import { locateManifest } from '../predict/manifestLocation';
import { checkOutputFile, writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { buildOnnxModel, type OnnxInputLayout } from './onnxGraph';
import { writeOnnx } from './onnxFile';
import { writeSafetensors } from './safetensors';
import { dlrmNetKwargs, referenceStateDict } from './stateDict';
import { tritonConfig, tritonConfigPath } from './tritonConfig';

export const EXPORT_FORMATS = ['onnx', 'safetensors'] as const;

/** Above this many parameter bytes the ONNX file's tables go to external data (protobuf's limit is 2 GiB). */
const INLINE_LIMIT_BYTES = 1.5 * 2 ** 30;
/** Initializers of at least this size go external once the model is past INLINE_LIMIT_BYTES. */
const EXTERNAL_MIN_BYTES = 2 ** 20;

export interface ExportConfig {
  loadModel: string;
  /** 'onnx' or 'safetensors', checked here so that a wrong value is one clear `dlrm:` line. */
  format: string;
  out: string;
  /** Where the training data's manifest is (see locateManifest); both undefined: the checkpoint's recorded file. */
  processedDataFile?: string;
  manifest?: string;
  /** onnx: also write Triton's config.pbtxt (its model folder, see tritonConfigPath). */
  tritonConfig: boolean;
  /** onnx: initializers of at least this many bytes go to the external data file (default: automatic). */
  externalDataThreshold?: number;
}

export interface ExportResult {
  files: string[];
  layout?: OnnxInputLayout;
}

/** The metadata both formats carry: the architecture and the settings scores depend on. */
function exportMetadata(arch: DlrmArch, model: InferenceModel): Record<string, string> {
  return {
    dlrm_arch: JSON.stringify(arch),
    dlrm_net_kwargs: JSON.stringify(dlrmNetKwargs(arch, model.loss.lossThreshold)),
    dlrm_max_ind_range: String(model.maxIndRange),
    dlrm_loss_threshold: String(model.loss.lossThreshold),
  };
}

/** The ONNX inputs' form for `model`, from its training data's manifest when it has one. */
export function onnxInputLayout(
  model: InferenceModel,
  flags: { processedDataFile?: string; manifest?: string },
): OnnxInputLayout {
  const T = model.arch.tableSizes.length;
  if (flags.manifest === undefined && flags.processedDataFile === undefined && model.processedDataFile === null) {
    return { denseInput: true, bags: new Array<boolean>(T).fill(true) };
  }
  const where = locateManifest(flags, model);
  const m = where.manifest,
    M = model.maxIndRange;
  checkModelFitsData(
    model,
    { numDense: Math.max(1, m.numDense), tableSizes: m.tables.map((t) => (M > 0 ? Math.min(t.count, M) : t.count)) },
    `the vocabularies of ${where.source}`,
  );
  const multiHot = new Set(m.schema.categorical.filter((c) => c.multiHotSeparator !== undefined).map((c) => c.name));
  return { denseInput: m.numDense > 0, bags: m.tables.map((t) => multiHot.has(t.name)) };
}

export function runExport(c: ExportConfig): ExportResult {
  if (!(EXPORT_FORMATS as readonly string[]).includes(c.format))
    throw new UserError(`--format: '${c.format}' is not one of ${EXPORT_FORMATS.join(', ')}`);
  if (c.format !== 'onnx' && c.tritonConfig) throw new UserError('--triton-config: only with --format onnx');
  if (c.format !== 'onnx' && c.externalDataThreshold !== undefined)
    throw new UserError('--external-data-threshold: only with --format onnx');
  checkOutputFile('--out', c.out);
  if (path.resolve(c.out) === path.resolve(c.loadModel))
    throw new UserError(`--out ${c.out} is the --load-model checkpoint itself; name another file`);
  const model = loadInferenceModel(c.loadModel);
  const { arch, params } = model;
  const metadata = exportMetadata(arch, model);
  if (c.format === 'safetensors') {
    writeSafetensors(c.out, referenceStateDict(params, arch.deepCross !== undefined), { format: 'pt', ...metadata });
    log().info({ model: c.loadModel, out: c.out }, 'exported safetensors');
    return { files: [c.out] };
  }
  const layout = onnxInputLayout(model, c);
  const paramBytes = referenceStateDict(params, arch.deepCross !== undefined).reduce(
    (s, t) => s + t.parts.reduce((a, p) => a + p.byteLength, 0),
    0,
  );
  const externalThreshold =
    c.externalDataThreshold ?? (paramBytes > INLINE_LIMIT_BYTES ? EXTERNAL_MIN_BYTES : Infinity);
  const dataFile = `${path.basename(c.out)}.data`;
  const onnxModel = buildOnnxModel(arch, params, {
    layout,
    maxIndRange: model.maxIndRange,
    lossThreshold: model.loss.lossThreshold,
    externalThreshold,
    dataFile,
    metadata: { ...metadata, dlrm_inputs: JSON.stringify(layout) },
  });
  const configFile = tritonConfigPath(c.out);
  const config = c.tritonConfig ? tritonConfig(onnxModel.proto.graph ?? {}, configFile, c.out) : null; // checked before anything is written
  const files = writeOnnx(c.out, onnxModel, dataFile);
  if (config !== null) {
    writeFileAtomic(configFile, config);
    files.push(configFile);
  }
  log().info({ model: c.loadModel, files, externalBytes: onnxModel.dataBytes }, 'exported onnx');
  return { files, layout };
}
