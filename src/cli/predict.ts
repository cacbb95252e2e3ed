// `dlrm predict`: scores raw Criteo lines (40 fields with the label, or 39 without like Kaggle's test.txt;
// plain or .gz) with a trained checkpoint, mapping categories through the vocabularies dlrm preprocess saved,
// and writes `line,probability[,label]` CSV to --output (atomically) or stdout (docs/PREDICT.md).
import { Command } from 'commander';
import { intOption } from '../util/options';
import { addEngineOptions, type EngineFlags } from './eval';
import { addCommonOptions, runAction, type CommonOptions } from './main';

interface PredictCliOptions extends CommonOptions, EngineFlags {
  loadModel: string;
  input: string;
  output?: string;
  processedDataFile?: string;
  manifest?: string;
  miniBatchSize: number;
}

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description('score raw rows (Criteo, or the columns of the --schema the data was preprocessed with; with or without the label column) with a trained model; CSV of line,probability[,label]')
    .requiredOption('--load-model <path>', 'the checkpoint (from dlrm train --save-model)')
    .requiredOption('--input <path>', 'raw Criteo lines, TAB-separated, plain or .gz')
    .option('--output <path>', 'CSV output file, written atomically (default: stdout)')
    .option('--processed-data-file <path>', 'the merged processed file whose vocabularies (in <path>.parts/) map categories (default: the one the model was trained on)')
    .option('--manifest <path>', 'or: the manifest.json of the preprocessed data (vocabularies beside it)')
    .option('--mini-batch-size <B>', 'rows per engine call', intOption(1, 1 << 24), 16384);
  addCommonOptions(addEngineOptions(cmd)).action(
    runAction(async (o: PredictCliOptions) => {
      const { runPredict } = await import('../predict/predict'); // loads the engines only when predicting
      await runPredict({ loadModel: o.loadModel, input: o.input, output: o.output ?? null, processedDataFile: o.processedDataFile, manifest: o.manifest, miniBatchSize: o.miniBatchSize, engine: o.engine, backend: o.backend });
    }),
  );
}
