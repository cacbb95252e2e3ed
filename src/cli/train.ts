// `dlrm train`: registers the training flags (from the TRAIN_FLAGS table, kebab-case names as the
// reference DLRM), merges defaults < --config file < command line into a TrainConfig and runs the loop.
import { Command, Option } from 'commander';
import { DEFAULT_TRAIN_CONFIG, parserFor, RAW_DATA_FILE_REFUSAL, resolveTrainConfig, TRAIN_FLAGS, type TrainConfig } from '../train/config';
import { UserError } from '../util/errors';
import { addCommonOptions, runAction, type CommonOptions } from './main';

interface TrainCliOptions extends CommonOptions, Partial<TrainConfig> {
  config?: string;
  rawDataFile?: string;
}

/** The default shown in --help, in the flag's own notation. */
function shownDefault(key: keyof TrainConfig): string {
  const v = DEFAULT_TRAIN_CONFIG[key];
  if (v === null) return '';
  return ` (default: ${Array.isArray(v) ? v.join('-') : String(v)})`;
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a DLRM on a processed dataset or on random/synthetic data; resumes exactly from --load-model')
    .option('--config <file.json>', 'read settings from a JSON file (flag names as keys); command-line flags override it');
  for (const spec of TRAIN_FLAGS) {
    const help = spec.help + shownDefault(spec.key);
    if (spec.type.kind === 'bool') {
      cmd.addOption(new Option(`--${spec.flag}`, help));
      cmd.addOption(new Option(`--no-${spec.flag}`, `turn --${spec.flag} off (e.g. over a config file)`));
    } else {
      const placeholder = spec.type.kind === 'choice' ? spec.type.choices.join('|') : spec.type.kind === 'path' ? 'path' : 'value';
      cmd.addOption(new Option(`--${spec.flag} <${placeholder}>`, help).argParser(parserFor(spec.type)!));
    }
  }
  cmd.addOption(new Option('--raw-data-file <path>', 'refused: run `dlrm preprocess` first and pass --processed-data-file'));
  addCommonOptions(cmd).action(
    runAction(async (opts: TrainCliOptions) => {
      if (opts.rawDataFile !== undefined) throw new UserError(RAW_DATA_FILE_REFUSAL);
      const config = resolveTrainConfig(opts, opts.config);
      const { runTraining } = await import('../train/train'); // loads the engines only when training
      await runTraining(config);
    }),
  );
}
