// Fault cases of `dlrm export` and `dlrm import`: missing, corrupt or truncated inputs (checkpoint,
// safetensors), an unknown format, an output in a missing folder or on top of the input, flags of the other format, data the model
// was trained on that is gone, a non-float32 or NaN tensor, a state_dict that is not DLRM_Net's. Each
// must end with one `dlrm: ` line, exit 2, and no output under its final name (an existing one unchanged).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { referenceStateDict } from '../../src/export/stateDict';
import { writeSafetensors } from '../../src/export/safetensors';
import { allocOptimizerState } from '../../src/model/allocOptimizerState';
import { buildDlrmArch } from '../../src/model/archConfig';
import { saveCheckpoint } from '../../src/model/checkpoint';
import { initDlrmParams } from '../../src/model/initParams';
import { DEFAULT_TRAIN_CONFIG } from '../../src/train/config';
import type { FaultCase } from './faultCase';

const ARCH = buildDlrmArch({
  mlpBot: [3, 4],
  mlpTop: [4, 1],
  tableSizes: [5, 6],
  interaction: 'dot',
  interactionItself: false,
});

/** A small valid checkpoint in `dir`, recorded as trained on `processedDataFile` (null: random data). */
function checkpoint(dir: string, processedDataFile: string | null = null): string {
  const file = path.join(dir, 'model.ckpt');
  const params = initDlrmParams(ARCH, 1);
  const trainConfig = { ...DEFAULT_TRAIN_CONFIG, processedDataFile };
  const dataState = {
    generation: processedDataFile ? 'dataset' : 'random',
    processedDataFile,
    seed: 1,
    trainRows: 10,
    maxIndRange: 0,
  };
  saveCheckpoint(
    file,
    {
      engine: 'test',
      arch: ARCH,
      params,
      optimizerState: allocOptimizerState(params, 'sgd'),
      progress: { epoch: 0, batchInEpoch: 0, rowInEpoch: 0, globalStep: 0 },
      trainConfig,
      dataState,
    },
    'test',
  );
  return file;
}

/** A valid safetensors state_dict of a small model in `dir`. */
function safetensors(dir: string): string {
  const file = path.join(dir, 'model.safetensors');
  writeSafetensors(file, referenceStateDict(initDlrmParams(ARCH, 1)), { format: 'pt' });
  return file;
}

/** Rewrites a safetensors file's JSON header with `edit` (data unchanged). */
function editHeader(
  file: string,
  edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void,
): void {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: number[] }
  >;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, buf.subarray(8 + n)]));
}

/** An export run expected to fail with nothing written: the file, its external data, a Triton config. */
const exportRun = (model: string, format: string, out: string, ...extra: string[]) => ({
  args: ['export', '--load-model', model, '--format', format, '--out', out, ...extra],
  expectExit: 2,
  absent: [out, `${out}.data`, path.join(path.dirname(out), 'config.pbtxt')],
});

const importRun = (input: string, out: string, ...extra: string[]) => ({
  args: ['import', '--format', 'safetensors', '--in', input, '--out', out, ...extra],
  expectExit: 2,
  absent: [out],
});

export const exportCases: FaultCase[] = [
  {
    name: 'export --load-model names a missing file',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...exportRun(path.join(dir, 'nope.ckpt'), 'onnx', path.join(dir, 'm.onnx')),
      expectMessage: /^dlrm: --load-model: cannot open .*nope\.ckpt/,
    }),
  },
  {
    name: 'export of a corrupt checkpoint leaves an existing output unchanged',
    kind: 'corruption',
    prepare: (dir) => {
      const model = path.join(dir, 'bad.ckpt');
      fs.writeFileSync(model, 'not a checkpoint at all, just text');
      const out = path.join(dir, 'm.onnx');
      fs.writeFileSync(out, 'previous export');
      return {
        args: ['export', '--load-model', model, '--format', 'onnx', '--out', out],
        expectExit: 2,
        expectMessage: /^dlrm: .*bad\.ckpt: not a dlrm checkpoint/,
        unchanged: [out],
        absent: [`${out}.data`],
      };
    },
  },
  {
    name: 'export of a truncated checkpoint',
    kind: 'corruption',
    prepare: (dir) => {
      const model = checkpoint(dir);
      fs.truncateSync(model, fs.statSync(model).size - 10);
      return {
        ...exportRun(model, 'safetensors', path.join(dir, 'm.safetensors')),
        expectMessage: /^dlrm: .*model\.ckpt: checkpoint is \d+ bytes but its sections end at byte \d+/,
      };
    },
  },
  {
    name: 'export --format tflite (unknown format)',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...exportRun(checkpoint(dir), 'tflite', path.join(dir, 'm.tflite')),
      expectMessage: /^dlrm: --format: 'tflite' is not one of onnx, safetensors$/,
    }),
  },
  {
    name: 'export --out in a missing folder',
    kind: 'output-safety',
    prepare: (dir) => ({
      ...exportRun(checkpoint(dir), 'onnx', path.join(dir, 'missing', 'm.onnx')),
      expectMessage: /^dlrm: --out .*m\.onnx: folder .*missing does not exist$/,
    }),
  },
  {
    name: 'export --format safetensors --triton-config',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...exportRun(checkpoint(dir), 'safetensors', path.join(dir, 'm.safetensors'), '--triton-config'),
      expectMessage: /^dlrm: --triton-config: only with --format onnx$/,
    }),
  },
  {
    name: 'export onnx of a model whose training data is gone',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...exportRun(checkpoint(dir, path.join(dir, 'gone.dlrm')), 'onnx', path.join(dir, 'm.onnx')),
      expectMessage:
        /^dlrm: --load-model .* was trained on .*gone\.dlrm, which is not found from here; pass --processed-data-file/,
    }),
  },
  {
    name: 'export --out is the checkpoint itself',
    kind: 'output-safety',
    prepare: (dir) => {
      const model = checkpoint(dir);
      return {
        args: ['export', '--load-model', model, '--format', 'safetensors', '--out', model],
        expectExit: 2,
        unchanged: [model],
        expectMessage: /^dlrm: --out .*model\.ckpt is the --load-model checkpoint itself; name another file$/,
      };
    },
  },
  {
    name: 'import --out is the --in file itself',
    kind: 'output-safety',
    prepare: (dir) => {
      const input = safetensors(dir);
      return {
        args: ['import', '--format', 'safetensors', '--in', input, '--out', input],
        expectExit: 2,
        unchanged: [input],
        expectMessage: /^dlrm: --out .*model\.safetensors is the --in file itself; name another file$/,
      };
    },
  },
  {
    name: 'import --in names a missing file',
    kind: 'bad-input',
    prepare: (dir) => ({
      ...importRun(path.join(dir, 'nope.safetensors'), path.join(dir, 'm.ckpt')),
      expectMessage: /^dlrm: --in: cannot open .*nope\.safetensors/,
    }),
  },
  {
    name: 'import of a file that is not safetensors (garbage header length)',
    kind: 'corruption',
    prepare: (dir) => {
      const input = path.join(dir, 'x.safetensors');
      fs.writeFileSync(input, Buffer.from('this is not a safetensors file'));
      return {
        ...importRun(input, path.join(dir, 'm.ckpt')),
        expectMessage: /^dlrm: .*x\.safetensors: not a safetensors file \(header length \d+ does not fit/,
      };
    },
  },
  {
    name: 'import of a truncated safetensors file leaves an existing checkpoint unchanged',
    kind: 'corruption',
    prepare: (dir) => {
      const input = safetensors(dir);
      fs.truncateSync(input, fs.statSync(input).size - 8);
      const out = path.join(dir, 'm.ckpt');
      fs.writeFileSync(out, 'previous checkpoint');
      return {
        ...importRun(input, out),
        absent: [],
        unchanged: [out],
        expectMessage:
          /^dlrm: .*: tensor top_l\.2\.weight ends at data byte \d+ but the file holds \d+ data bytes \(truncated\?\)$/,
      };
    },
  },
  {
    name: 'import of a float16 tensor',
    kind: 'bad-input',
    prepare: (dir) => {
      const input = safetensors(dir);
      editHeader(input, (h) => void (h['emb_l.1.weight'].dtype = 'F16'));
      return {
        ...importRun(input, path.join(dir, 'm.ckpt')),
        expectMessage: /^dlrm: .*: tensor emb_l\.1\.weight has dtype F16; only F32 \(float32\) tensors are read$/,
      };
    },
  },
  {
    name: 'import of a state_dict that is not DLRM_Net (no bottom MLP, an extra tensor)',
    kind: 'bad-input',
    prepare: (dir) => {
      const input = safetensors(dir);
      editHeader(input, (h) => {
        h['mlp.0.weight'] = h['bot_l.0.weight'];
        delete h['bot_l.0.weight'];
      });
      return {
        ...importRun(input, path.join(dir, 'm.ckpt')),
        expectMessage: /^dlrm: .*: no bot_l\.0\.weight \(not a DLRM_Net state_dict\?\)$/,
      };
    },
  },
  {
    name: 'import of a model holding NaN',
    kind: 'corruption',
    prepare: (dir) => {
      const file = path.join(dir, 'nan.safetensors');
      const tensors = referenceStateDict(initDlrmParams(ARCH, 1));
      tensors[0].parts[0][3] = NaN;
      writeSafetensors(file, tensors, {});
      return {
        ...importRun(file, path.join(dir, 'm.ckpt')),
        expectMessage: /^dlrm: refusing to write checkpoint .*m\.ckpt: table\.0 holds NaN/,
      };
    },
  },
  {
    name: 'import --format onnx (unknown format)',
    kind: 'bad-input',
    prepare: (dir) => ({
      args: ['import', '--format', 'onnx', '--in', safetensors(dir), '--out', path.join(dir, 'm.ckpt')],
      expectExit: 2,
      absent: [path.join(dir, 'm.ckpt')],
      expectMessage: /^dlrm: --format: 'onnx' is not one of safetensors$/,
    }),
  },
];
