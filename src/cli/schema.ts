// `dlrm schema --infer logs.tsv [--out schema.json] [--rows N]`: writes a starting column schema guessed
// from the first rows of a click log (or of Parquet input) (src/rawformat/infer.ts) for `dlrm preprocess --schema`, atomically to
// --out (or to stdout), and prints one line per column (kind, encoding, sampled cardinality, empty rate).
import { Command } from 'commander';
import { checkOutputFile, writeFileAtomic } from '../util/atomic';
import { intOption } from '../util/options';
import { writeStdout } from '../util/stdout';
import { inferSchema } from '../rawformat/infer';
import { isParquetInput } from '../rawformat/parquetReader';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface SchemaFlags extends CommonOptions {
  infer: string;
  out?: string;
  rows: number;
}

export function registerSchema(program: Command): void {
  const cmd = program
    .command('schema')
    .description('guess a column schema for your own click log (edit it, then dlrm preprocess --schema)')
    .requiredOption(
      '--infer <file>',
      'the raw log to sample (TSV/CSV, plain or .gz; or Parquet: a file, folder of part files, or glob)',
    )
    .option('--out <file>', 'write the schema here (atomically; default: stdout)')
    .option('--rows <n>', 'data rows to sample', intOption(1, 10_000_000), 1000);
  addCommonOptions(cmd).action(
    runAction<SchemaFlags>(async (o) => {
      if (o.out !== undefined) checkOutputFile('--out', o.out, [{ flag: '--infer', path: o.infer }]);
      const inferred = await inferSchema(o.infer, o.rows);
      const json = JSON.stringify(inferred.schema, null, 2) + '\n';
      if (o.out === undefined) await writeStdout(json);
      else writeFileAtomic(o.out, json);
      const width = Math.max(6, ...inferred.columns.map((c) => c.name.length));
      const lines = inferred.columns.map(
        (c) =>
          `${c.name.padEnd(width)}  ${c.kind.padEnd(11)}  ${c.detail.padEnd(20)}  ${String(c.distinct).padStart(7)} distinct  ${(100 * c.emptyRate).toFixed(1).padStart(5)}% empty`,
      );
      const format = isParquetInput(o.infer)
        ? 'Parquet'
        : `delimiter ${JSON.stringify(inferred.schema.delimiter)}, header ${inferred.schema.header ? 'yes' : 'no'}`;
      process.stderr.write(`${inferred.rowsSampled} rows sampled from ${o.infer}; ${format}\n${lines.join('\n')}\n`);
    }),
  );
}
