// `dlrm preprocess`: raw Criteo logs -> per-day shards, vocabularies, manifest and the merged processed
// file (docs/PREPROCESS.md). Flags are named like the reference's (kebab-case); this file only maps them to
// a PreprocessConfig and runs the one pipeline (src/preprocess/pipeline.ts), with a Criteo preset or, with
// --schema, a user's own log's schema (docs/SCHEMA.md).
import { Command } from 'commander';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';
import { choiceOption, floatOption, intOption } from '../util/options';
import { runPreprocess, type PreprocessConfig } from '../preprocess/pipeline';
import { UserError } from '../util/errors';
import { loadSchemaFile } from '../rawformat/loadSchema';

interface PreprocessFlags extends CommonOptions, Omit<PreprocessConfig, 'blockBytes' | 'shuffleMemoryBytes'> {
  schema?: string;
  shuffleMemoryMb?: number;
}

/** --shuffle-memory-mb as the config's byte budget (absent: the default). */
function shuffleMemory(mb: number | undefined): Pick<PreprocessConfig, 'shuffleMemoryBytes'> {
  return mb === undefined ? {} : { shuffleMemoryBytes: mb * 2 ** 20 };
}

export function registerPreprocess(program: Command): void {
  const cmd = program
    .command('preprocess')
    .description(
      'Turn raw click logs (Criteo presets, or your own with --schema) into per-day shards, vocabularies, a manifest and the merged processed file',
    )
    .requiredOption(
      '--raw-data-file <path>',
      'Kaggle train.txt, or the Terabyte prefix path/day (reads day_0 .. day_23, plain or .gz); with --schema: a CSV/TSV file, or Parquet (a file, a folder of part files, or a glob)',
    )
    .option(
      '--processed-data-file <path>',
      'the merged output file (default: the raw path without .txt/.gz, plus .dlrm); parts go to <path>.parts/',
    )
    .option('--data-set <name>', 'kaggle | terabyte', choiceOption(['kaggle', 'terabyte'] as const), 'kaggle')
    .option(
      '--schema <file>',
      "your own click log's column schema (docs/SCHEMA.md; `dlrm schema --infer` writes a first one); replaces --data-set",
    )
    .option('--max-ind-range <M>', 'take categorical values modulo M (<= 0: off)', intOption(-1, 2 ** 32), -1)
    .option('--data-sub-sample-rate <r>', 'drop each label-0 line with probability r (seeded)', floatOption(0, 1), 0)
    .option(
      '--data-randomize <mode>',
      'order of training rows in the merged file: total | day | none',
      choiceOption(['total', 'day', 'none'] as const),
      'total',
    )
    .option(
      '--min-frequency <K>',
      'values seen fewer than K times share one index per table (0 or 1: off)',
      intOption(0, 0x7fffffff),
      0,
    )
    .option('--seed <n>', 'seed of sub-sampling and randomization', intOption(0, 0xffffffff), 0)
    .option('--skip-invalid-lines', 'count and skip malformed lines instead of stopping at the first', false)
    .option(
      '--no-merged-file',
      'write the day shards, vocabularies and manifest only (no merge pass, half the disk); train/eval --processed-data-file <path>.parts',
    )
    .option(
      '--shuffle-memory-mb <n>',
      'memory for shuffling the merged file in memory (default: half of what is available at the start); rows beyond it are shuffled through bucket files, in the same order',
      intOption(1, 2 ** 31),
    )
    .option('--resume', 'continue an interrupted run (same flags) from its last completed day', false)
    .option('--workers <n>', 'worker threads (with --schema: parse threads)', intOption(1, 64), 2);
  addCommonOptions(cmd).action(
    runAction<PreprocessFlags>(async (o) => {
      if (o.schema !== undefined) {
        if (o.mergedFile === false) {
          const multiHot = loadSchemaFile(o.schema).categorical.find((c) => c.multiHotSeparator !== undefined);
          if (multiHot)
            throw new UserError(
              `--no-merged-file: training from the parts folder takes one index per table, and ${o.schema}'s column ${multiHot.name} is multi-hot; keep the merged file`,
            );
        }
        if (cmd.getOptionValueSource('dataSet') === 'cli')
          throw new UserError(
            '--schema and --data-set exclude each other: --data-set picks a Criteo preset schema, --schema gives your own',
          );
      }
      const { schema, shuffleMemoryMb, logFile: _logFile, logLevel: _logLevel, ...config } = o;
      await runPreprocess({ ...config, schemaFile: schema, ...shuffleMemory(shuffleMemoryMb) });
    }),
  );
}
