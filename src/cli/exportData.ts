// `dlrm export-data`: writes a processed dataset's days in another trainer's layout (TorchRec's Criteo
// .npy files), so the same data trains on a multi-GPU engine (docs/SCALE.md, docs/EXPORT.md).
import { Command } from 'commander';
import { writeStdout } from '../util/stdout';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface ExportDataCliOptions extends CommonOptions {
  processedDataFile: string;
  format: string;
  out: string;
}

export function registerExportData(program: Command): void {
  const cmd = program
    .command('export-data')
    .description(
      "write a processed dataset's days in TorchRec's Criteo layout (day_N_dense.npy, day_N_sparse.npy, day_N_labels.npy)",
    )
    .requiredOption(
      '--processed-data-file <path>',
      'the merged processed file (its F.parts/ is read) or the parts folder',
    )
    .requiredOption('--format <torchrec>', 'torchrec')
    .requiredOption('--out <dir>', 'the folder to write into (each file written atomically)');
  addCommonOptions(cmd).action(
    runAction(async (o: ExportDataCliOptions) => {
      const { runExportData } = await import('../export/torchrecData');
      const r = await runExportData({ format: o.format, processedDataFile: o.processedDataFile, out: o.out });
      await writeStdout(
        `wrote ${r.files.length} files (${r.rows} rows) to ${o.out}\nnum_embeddings_per_feature ${r.numEmbeddingsPerFeature.join(',')}\n`,
      );
    }),
  );
}
