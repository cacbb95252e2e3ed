// `dlrm predict`: scores raw Criteo lines (40 fields with the label, or 39 without like Kaggle's test.txt;
// plain or .gz) with a trained checkpoint, mapping categories through the vocabularies dlrm preprocess saved,
// and writes `line[,id],probability[,label]` CSV, or a Kaggle submission `Id,Predicted`, to --output
// (atomically) or stdout (docs/PREDICT.md).
import { Command, InvalidArgumentError } from 'commander';
import { PREDICT_FORMATS, type PredictFormat } from '../predict/predictionCsv';
import { UserError } from '../util/errors';
import { choiceOption, intOption } from '../util/options';
import { addEngineOptions, type EngineFlags } from './eval';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface PredictCliOptions extends CommonOptions, EngineFlags {
  loadModel: string;
  input: string;
  output?: string;
  processedDataFile?: string;
  manifest?: string;
  miniBatchSize: number;
  format: PredictFormat;
  idColumn?: string;
  idStart?: number;
}

/** A CSV column name: letters, digits, '_', '-', '.', not one of the other columns. */
function columnNameOption(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(value))
    throw new InvalidArgumentError(
      `'${value}' is not a column name (a letter or '_', then letters, digits, '_', '-', '.').`,
    );
  if (['line', 'probability', 'label'].includes(value))
    throw new InvalidArgumentError(`'${value}' is already a column of the CSV.`);
  return value;
}

export function registerPredict(program: Command): void {
  const cmd = program
    .command('predict')
    .description(
      'score raw rows (Criteo, or the columns of the --schema the data was preprocessed with; with or without the label column) with a trained model; CSV of line,probability[,label]',
    )
    .requiredOption('--load-model <path>', 'the checkpoint (from dlrm train --save-model)')
    .requiredOption(
      '--input <path>',
      'raw Criteo lines, TAB-separated, plain or .gz (a --schema model: its CSV/TSV rows, or Parquet: a file, folder or glob)',
    )
    .option('--output <path>', 'CSV output file, written atomically (default: stdout)')
    .option(
      '--processed-data-file <path>',
      'the merged processed file whose vocabularies (in <path>.parts/) map categories (default: the one the model was trained on)',
    )
    .option('--manifest <path>', 'or: the manifest.json of the preprocessed data (vocabularies beside it)')
    .option('--mini-batch-size <B>', 'rows per engine call', intOption(1, 1 << 24), 16384)
    .option(
      '--format <format>',
      `csv (line[,id],probability[,label]) | kaggle-submission (Id,Predicted, for Kaggle's Display Advertising Challenge)`,
      choiceOption(PREDICT_FORMATS),
      'csv',
    )
    .option(
      '--id-column <name>',
      "csv: add a column <name> holding each row's id: its 0-based position among the input's data rows plus --id-start (e.g. --id-column Id)",
      columnNameOption,
    )
    .option(
      '--id-start <n>',
      "the id of the first data row (default: 0; 60000000, the first Id of Kaggle's test.txt, with --format kaggle-submission)",
      intOption(0),
    );
  addCommonOptions(addEngineOptions(cmd)).action(
    runAction(async (o: PredictCliOptions) => {
      if (o.format === 'kaggle-submission' && o.idColumn !== undefined)
        throw new UserError(
          `--id-column: --format kaggle-submission has its own columns Id,Predicted (use --id-start to number them)`,
        );
      if (o.format === 'csv' && o.idStart !== undefined && o.idColumn === undefined)
        throw new UserError(
          `--id-start needs --id-column <name> (the column that holds the ids) or --format kaggle-submission`,
        );
      const { runPredict } = await import('../predict/predict'); // loads the engines only when predicting
      await runPredict({
        loadModel: o.loadModel,
        input: o.input,
        output: o.output ?? null,
        processedDataFile: o.processedDataFile,
        manifest: o.manifest,
        miniBatchSize: o.miniBatchSize,
        engine: o.engine,
        backend: o.backend,
        format: o.format,
        idColumn: o.idColumn ?? null,
        idStart: o.idStart ?? null,
      });
    }),
  );
}
