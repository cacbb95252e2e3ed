// `dlrm generate`: writes a Criteo-shaped raw click log (the Kaggle train.txt format, or test.txt's with
// --no-label) from the seeded generator, for tests and benchmarks. See docs/GENERATE.md.
import * as os from 'node:os';
import { Command, Option } from 'commander';
import { DATA_SETS, type GeneratorDataSet, loadProfile } from '../criteo/generatorProfile';
import { generateTextFile } from '../criteo/generatorText';
import { checkOutputFile } from '../util/atomic';
import { refuseRawInputInUse } from '../preprocess/outputs';
import { choiceOption, intOption } from '../util/options';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface GenerateCliOptions extends CommonOptions {
  rows: number;
  out: string;
  seed: number;
  dataSet: GeneratorDataSet;
  label: boolean;
  workers: number;
}

export function registerGenerate(program: Command): void {
  const cmd = program
    .command('generate')
    .description('write a Criteo-shaped raw click log (Kaggle cardinalities, realistic missing values, a learnable planted click signal)')
    .requiredOption('--rows <n>', 'number of lines', intOption(1))
    .requiredOption('--out <file>', 'output file (written atomically)')
    .option('--seed <s>', 'seed: the same seed gives the same bytes', intOption(0, 2 ** 32 - 1), 1)
    .addOption(new Option('--data-set <name>', `data-set profile: ${DATA_SETS.join(' | ')}`).argParser(choiceOption(DATA_SETS)).default('kaggle'))
    .option('--no-label', 'write test.txt-style lines (39 fields, no label column)')
    .option('--workers <n>', 'worker threads drawing rows (the output is the same for any number)', intOption(1, 64), Math.min(4, os.availableParallelism()));
  addCommonOptions(cmd).action(
    runAction(async (opts: GenerateCliOptions) => {
      checkOutputFile('--out', opts.out);
      refuseRawInputInUse('--out', opts.out);
      await generateTextFile({ profile: loadProfile(opts.dataSet), rows: opts.rows, out: opts.out, seed: opts.seed, withLabel: opts.label, workers: opts.workers });
    }),
  );
}
