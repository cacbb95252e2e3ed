// The `dlrm` command line: one subcommand per pipeline stage, each registered from its own file in
// src/cli/. This file only wires them together and turns user errors into one-line messages.
import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors';
import { log, setupLogger } from '../util/log';
import { stopProgressBars } from '../util/progress';
import { registerSubcommands } from './commands';
import { refuseSwitchValues } from './switchValues';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

/** Options every subcommand accepts (see addCommonOptions). */
export interface CommonOptions {
  logFile?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Adds --log-file and --log-level to a subcommand. */
export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--log-file <path>', 'also append JSON log lines to this file')
    .option('--log-level <level>', 'debug | info | warn | error', 'info');
}

/**
 * Wraps a subcommand's action: sets up logging from the common options, runs it, and reports a
 * UserError as one line on stderr with a non-zero exit code instead of a stack trace.
 */
export function runAction<O extends CommonOptions>(action: (opts: O) => Promise<void> | void): (opts: O) => Promise<void> {
  return async (opts: O) => {
    if (!['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) {
      throw new UserError(`--log-level: '${opts.logLevel}' is not one of debug, info, warn, error`);
    }
    setupLogger({ logFile: opts.logFile, level: opts.logLevel });
    await action(opts);
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('dlrm')
    .description('Preprocess Criteo click logs and train, evaluate and serve DLRM models')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSubcommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    refuseSwitchValues(program, argv);
    await program.parseAsync(argv);
  } catch (err) {
    stopProgressBars(); // a bar left running would swallow the message's line
    if (err instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument, --help, --version)
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`dlrm: ${err.message}\n`);
      log().flush?.();
      process.exitCode = err.exitCode;
      return;
    }
    throw err;
  }
}
