// `dlrm generate`: writes a Criteo-shaped raw click log (the Kaggle train.txt format, or test.txt's with
// --no-label) from the seeded generator, or with --days/--rows-per-day Terabyte-style day files
// prefix_0 .. prefix_{N-1}, for tests and benchmarks. See docs/GENERATE.md.
import * as os from 'node:os';
import { Command, Option } from 'commander';
import { DATA_SETS, type GeneratorDataSet, loadProfile } from '../criteo/generatorProfile';
import { dayFileName, generateDayFiles, generateTextFile } from '../criteo/generatorText';
import { checkOutputFile } from '../util/atomic';
import { refuseRawInputInUse } from '../preprocess/outputs';
import { choiceOption, intOption } from '../util/options';
import { UserError } from '../util/errors';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface GenerateCliOptions extends CommonOptions {
  rows?: number;
  days?: number;
  rowsPerDay?: number;
  out: string;
  seed: number;
  dataSet: GeneratorDataSet;
  label: boolean;
  workers: number;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .description(
      'write a Criteo-shaped raw click log (Kaggle cardinalities, realistic missing values, a learnable planted click signal)',
    )
    .option('--rows <n>', 'number of lines (one file)', intOption(1))
    .option(
      '--days <n>',
      'write day files <out>_0 .. <out>_{n-1} (Terabyte layout) instead of one file',
      intOption(1, 1000),
    )
    .option('--rows-per-day <n>', 'lines per day file (with --days)', intOption(1))
    .requiredOption(
      '--out <file>',
      'output file, or with --days the day-file prefix (e.g. dir/day); written atomically',
    )
    .option('--seed <s>', 'seed: the same seed gives the same bytes', intOption(0, 2 ** 32 - 1), 1)
    .addOption(
      new Option('--data-set <name>', `data-set profile: ${DATA_SETS.join(' | ')}`)
        .argParser(choiceOption(DATA_SETS))
        .default('kaggle'),
    )
    .option('--no-label', 'write test.txt-style lines (39 fields, no label column)')
    .option(
      '--workers <n>',
      'worker threads drawing rows (the output is the same for any number)',
      intOption(1, 64),
      Math.min(4, os.availableParallelism()),
    );
  addCommonOptions(cmd).action(
    runAction(async (opts: GenerateCliOptions) => {
      const common = {
        profile: loadProfile(opts.dataSet),
        seed: opts.seed,
        withLabel: opts.label,
        workers: opts.workers,
      };
      if (opts.days !== undefined || opts.rowsPerDay !== undefined) {
        if (opts.days === undefined || opts.rowsPerDay === undefined)
          throw new UserError(
            '--days and --rows-per-day go together: --days N --rows-per-day R writes N day files of R lines',
          );
        if (opts.rows !== undefined)
          throw new UserError(
            '--rows and --days exclude each other: --rows writes one file, --days N --rows-per-day R day files',
          );
        for (let d = 0; d < opts.days; d++) {
          checkOutputFile('--out', dayFileName(opts.out, d));
          refuseRawInputInUse('--out', dayFileName(opts.out, d));
        }
        await generateDayFiles({ ...common, prefix: opts.out, days: opts.days, rowsPerDay: opts.rowsPerDay });
        return;
      }
      if (opts.rows === undefined)
        throw new UserError('--rows N (one file) or --days N --rows-per-day R (day files) is required');
      checkOutputFile('--out', opts.out);
      refuseRawInputInUse('--out', opts.out);
      await generateTextFile({ ...common, rows: opts.rows, out: opts.out });
    }),
  );
}
