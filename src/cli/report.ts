// `dlrm report`: renders one or more metrics JSONL files (`dlrm train --metrics-file`) into a single
// self-contained HTML page of charts and final numbers. See docs/REPORT.md.
import { Command } from 'commander';
import { renderReport } from '../report/html';
import { readMetricsFile } from '../report/metricsFile';
import { checkOutputFile, writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { log } from '../util/log';
import { addCommonOptions, runAction, type CommonOptions } from './subcommand';

interface ReportCliOptions extends CommonOptions {
  metrics: string[];
  out: string;
  title?: string;
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description('render metrics JSONL files of `dlrm train --metrics-file` into one self-contained HTML page')
    .requiredOption(
      '--metrics <file...>',
      'metrics JSONL file(s); repeat or list several to overlay runs',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .requiredOption('--out <file.html>', 'output HTML file (written atomically)')
    .option('--title <text>', 'page title');
  addCommonOptions(cmd).action(
    runAction((opts: ReportCliOptions) => {
      checkOutputFile(
        '--out',
        opts.out,
        opts.metrics.map((f) => ({ flag: '--metrics', path: f })),
      );
      const runs = opts.metrics.flatMap((f) => readMetricsFile(f));
      if (runs.length === 0)
        throw new UserError(`--metrics: ${opts.metrics.join(', ')}: no run, train or eval lines found`);
      writeFileAtomic(opts.out, renderReport(runs, opts.title));
      log().info({ out: opts.out, runs: runs.length, files: opts.metrics.length }, 'wrote report');
    }),
  );
}
