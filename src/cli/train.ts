// `dlrm train`: registers the training flags (from the TRAIN_FLAGS table, kebab-case names as the
// reference DLRM), merges defaults < --config file < command line into a TrainConfig and runs the loop.
import { Command, Option } from 'commander';
import {
  DEFAULT_TRAIN_CONFIG,
  parserFor,
  RAW_DATA_FILE_REFUSAL,
  resolveTrainConfig,
  TRAIN_FLAGS,
  type FlagKind,
  type TrainConfig,
} from '../train/config';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { writeStdout } from '../util/stdout';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface TrainCliOptions extends CommonOptions, Partial<TrainConfig> {
  config?: string;
  rawDataFile?: string;
}

/** How --help shows a flag's value. */
const PLACEHOLDERS: Record<Exclude<FlagKind['kind'], 'bool' | 'choice'>, string> = {
  int: 'n',
  float: 'x',
  intList: 'n1-n2-...',
  floatPair: 'neg-pos',
  path: 'path',
  text: 'text',
  learningRate: 'x',
};

/**
 * The longest flag term (`--flag <value>`) that leaves commander 40 columns for the description in an
 * 80-column help (80 - 2 indent - 2 spacer - 40): any longer term, and commander stops wrapping the
 * whole list. A choice flag whose choices do not fit shows a one-word placeholder (its help lists them).
 */
const MAX_TERM_WIDTH = 36;

/** How --help shows a flag's value: its placeholder, or its choices when they fit. */
function placeholderFor(flag: string, type: Exclude<FlagKind, { kind: 'bool' }>): string {
  if (type.kind !== 'choice') return PLACEHOLDERS[type.kind];
  const choices = type.choices.join('|');
  return `--${flag} <${choices}>`.length <= MAX_TERM_WIDTH ? choices : (flag.split('-').pop() as string);
}

/** The default shown in --help, in the flag's own notation (a long list abridged, so help lines wrap). */
function shownDefault(key: keyof TrainConfig): string {
  const v = DEFAULT_TRAIN_CONFIG[key];
  if (v === null) return '';
  if (!Array.isArray(v)) return ` (default: ${String(v)})`;
  return ` (default: ${v.length > 6 ? `${v.slice(0, 3).join('-')}-...-${v[v.length - 1]}, ${v.length} values` : v.join('-')})`;
}

/** Exit code of a run stopped by SIGINT/SIGTERM (after saving its checkpoint), as shells report Ctrl-C. */
const STOPPED_EXIT_CODE = 130;

/**
 * Runs `work` with SIGINT/SIGTERM turned into a stop request: training finishes its current step, saves
 * a checkpoint (with --save-model) and returns; a second signal quits at once.
 */
async function withStopSignals<T>(work: (shouldStop: () => boolean) => Promise<T>): Promise<T> {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) process.exit(STOPPED_EXIT_CODE);
    requested = true;
    log().warn(
      { signal },
      'stopping after this step (a checkpoint is saved with --save-model); send it again to quit at once',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(() => requested);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a DLRM on a processed dataset or on random/synthetic data; resumes exactly from --load-model')
    .option(
      '--config <file.json>',
      'read settings from a JSON file (flag names as keys); command-line flags override it',
    );
  for (const spec of TRAIN_FLAGS) {
    const help = spec.help + shownDefault(spec.key);
    if (spec.type.kind === 'bool') {
      cmd.addOption(new Option(`--${spec.flag}`, help));
      cmd.addOption(new Option(`--no-${spec.flag}`, `turn --${spec.flag} off (e.g. over a config file)`));
    } else {
      const placeholder = placeholderFor(spec.flag, spec.type);
      cmd.addOption(new Option(`--${spec.flag} <${placeholder}>`, help).argParser(parserFor(spec.type)!));
    }
  }
  cmd.addOption(
    new Option('--raw-data-file <path>', 'refused: run `dlrm preprocess` first and pass --processed-data-file'),
  );
  addCommonOptions(cmd).action(
    runAction(async (opts: TrainCliOptions) => {
      if (opts.rawDataFile !== undefined) throw new UserError(RAW_DATA_FILE_REFUSAL);
      const config = resolveTrainConfig(opts, opts.config);
      const { runTraining } = await import('../train/train'); // loads the engines only when training
      const started = performance.now();
      const result = await withStopSignals((shouldStop) => runTraining(config, { shouldStop }));
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (result.stopped) {
        await writeStdout(
          `stopped at step ${result.globalStep} after ${seconds} s${config.saveModel ? `; resume with --load-model ${config.saveModel}` : ''}\n`,
        );
        process.exitCode = STOPPED_EXIT_CODE;
      } else if (result.metrics) {
        const m = result.metrics;
        const f = (v: number) => v.toFixed(4);
        await writeStdout(
          `final ${m.rows} rows: auc ${f(m.auc)} logloss ${f(m.logloss)} accuracy ${f(m.accuracy)} ne ${f(m.ne)} (step ${result.globalStep}, ${result.engine}, ${seconds} s)\n`,
        );
        if (config.saveBest && result.best)
          await writeStdout(`best auc ${f(result.best.auc)} at step ${result.best.step}: ${result.best.file}\n`);
      }
    }),
  );
}
