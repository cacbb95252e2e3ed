// `dlrm eval`: scores one split of a merged processed file with a trained checkpoint and prints accuracy,
// ROC AUC, logloss, normalized entropy, calibration, average precision, rows and positive rate, as a
// table or (--json) one JSON object on stdout (docs/EVAL.md). Also defines the engine flags that eval and
// predict share with train (--engine, --backend).
import { Command, Option } from 'commander';
import type { SplitName } from '../dataset/manifest';
import { TFJS_BACKENDS, type TfjsBackendName } from '../engine/tfjs/backend';
import { ENGINE_CHOICES, type EngineChoice } from '../train/config';
import { choiceOption, intOption } from '../util/options';
import { writeStdout } from '../util/stdout';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

export interface EngineFlags {
  engine: EngineChoice;
  backend?: TfjsBackendName;
}

/** --engine and --backend, as `dlrm train` has them. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--engine <engine>', ENGINE_CHOICES.join(' | '))
        .argParser(choiceOption(ENGINE_CHOICES))
        .default('auto'),
    )
    .addOption(
      new Option(
        '--backend <backend>',
        `tfjs backend: ${TFJS_BACKENDS.join(' | ')} (default: the fastest that loads)`,
      ).argParser(choiceOption(TFJS_BACKENDS)),
    );
}

interface EvalCliOptions extends CommonOptions, EngineFlags {
  processedDataFile: string;
  loadModel: string;
  split: SplitName;
  json: boolean;
  miniBatchSize: number;
  verify: boolean;
}

const SPLITS = ['test', 'val', 'train'] as const;

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      'evaluate a trained model on a split of a processed file: accuracy, ROC AUC, logloss, NE, calibration, average precision',
    )
    .requiredOption('--processed-data-file <path>', 'the merged processed file (from dlrm preprocess)')
    .requiredOption('--load-model <path>', 'the checkpoint (from dlrm train --save-model)')
    .addOption(new Option('--split <split>', SPLITS.join(' | ')).argParser(choiceOption(SPLITS)).default('test'))
    .option('--json', 'print one JSON object on stdout instead of the table', false)
    .option('--no-verify', "skip the check of each row group's checksum and values (read a damaged file anyway)")
    .option('--mini-batch-size <B>', 'rows per engine call', intOption(1, 1 << 24), 16384);
  addCommonOptions(addEngineOptions(cmd)).action(
    runAction(async (o: EvalCliOptions) => {
      const { runEval } = await import('../eval/evaluateRun'); // loads the engines only when evaluating
      const { evalJson, evalTable } = await import('../eval/evaluateReport');
      const result = await runEval({
        processedDataFile: o.processedDataFile,
        loadModel: o.loadModel,
        split: o.split,
        miniBatchSize: o.miniBatchSize,
        verify: o.verify,
        engine: o.engine,
        backend: o.backend,
      });
      await writeStdout((o.json ? evalJson(result) : evalTable(result)) + '\n');
    }),
  );
}
