// `dlrm export`: writes a trained checkpoint as ONNX (the forward graph, optionally with Triton's
// config.pbtxt) or as safetensors under the reference PyTorch DLRM_Net's state_dict names (docs/EXPORT.md).
import { Command } from 'commander';
import { intOption } from '../util/options';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface ExportCliOptions extends CommonOptions {
  loadModel: string;
  format: string;
  out: string;
  processedDataFile?: string;
  manifest?: string;
  tritonConfig?: boolean;
  externalDataThreshold?: number;
}

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      'write a trained model as ONNX (inputs dense, indices_t[, offsets_t]; output probability) or as safetensors (the reference PyTorch DLRM_Net state_dict)',
    )
    .requiredOption('--load-model <path>', 'the checkpoint (from dlrm train --save-model)')
    .requiredOption('--format <onnx|safetensors>', 'onnx or safetensors')
    .requiredOption('--out <path>', 'the file to write (atomically); onnx external data goes beside it as <out>.data')
    .option(
      '--processed-data-file <path>',
      'onnx: the merged processed file the model was trained on, whose manifest tells one-hot and multi-hot columns (default: the one the checkpoint names)',
    )
    .option('--manifest <path>', 'onnx: or the manifest.json of that processed data')
    .option(
      '--triton-config',
      "onnx: also write Triton's config.pbtxt (in the model folder: the parent of a numeric version folder, else beside --out)",
    )
    .option(
      '--external-data-threshold <bytes>',
      'onnx: put every tensor of at least this many bytes in the external data file (default: only when the model passes 1.5 GiB)',
      intOption(0),
    );
  addCommonOptions(cmd).action(
    runAction(async (o: ExportCliOptions) => {
      const { runExport } = await import('../export/exportModel');
      const r = runExport({
        loadModel: o.loadModel,
        format: o.format,
        out: o.out,
        processedDataFile: o.processedDataFile,
        manifest: o.manifest,
        tritonConfig: o.tritonConfig === true,
        externalDataThreshold: o.externalDataThreshold,
      });
      process.stdout.write(`wrote ${r.files.join(', ')}\n`);
    }),
  );
}
