// The `dlrm` command line: one subcommand per pipeline stage, each registered from its own file in
// src/cli/. This file only wires them together and turns the errors a user can act on (UserErrors and
// the system errors of src/util/errors.ts: a missing or unreadable file, a full disk) into one `dlrm:`
// line, wherever they are thrown: in a subcommand, a worker thread, or a stream's 'error' event (runCli's
// process-level handlers). A closed stdout pipe ends the run quietly (src/util/stdout.ts).
import { Command, CommanderError } from 'commander';
import { userFacing } from '../util/errors';
import { CLOSED_PIPE_EXIT_CODE, StdoutClosed, stdoutFailure, watchStdout } from '../util/stdout';
import { log } from '../util/log';
import { stopProgressBars } from '../util/progress';
import { registerSubcommands } from './commands';
import { refuseSwitchValues } from './switchValues';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('dlrm')
    .description('Preprocess Criteo click logs and train, evaluate and serve DLRM models')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    // commander's own errors (unknown option, bad or missing value) read like ours: `dlrm: ...`, exit 2
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'dlrm: ')) })
    .exitOverride();
  registerSubcommands(program);
  return program;
}

/**
 * Reports an error a user can act on (one `dlrm:` line; nothing for a closed stdout pipe) and returns the
 * exit code, or returns undefined for a bug, which the caller lets through with its stack.
 */
function reportFailure(err: unknown): number | undefined {
  if (err instanceof StdoutClosed) return CLOSED_PIPE_EXIT_CODE;
  const facing = userFacing(err);
  if (!facing) return undefined;
  process.stderr.write(`dlrm: ${facing.message}\n`);
  log().flush?.();
  return facing.exitCode;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  watchStdout();
  try {
    refuseSwitchValues(program, argv);
    await program.parseAsync(argv);
    const failed = stdoutFailure();
    if (failed) throw failed;
  } catch (err) {
    stopProgressBars(); // a bar left running would swallow the message's line
    if (err instanceof CommanderError) {
      // commander already printed its message (unknown option, missing argument, --help, --version);
      // a usage error exits 2 like every other bad input (commander says 1)
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const code = reportFailure(err);
    if (code === undefined) throw err;
    process.exitCode = code;
  }
}

/**
 * The `dlrm` executable's entry: main, plus process-level handlers for errors thrown outside its promise
 * chain (a stream's 'error' event, e.g. the --log-file on a full disk): those a user can act on end the
 * process with their one line and exit code (cleanups run on exit); a bug prints its stack, exit 1.
 */
export function runCli(argv: string[]): Promise<void> {
  const fatal = (err: unknown): void => {
    const code = reportFailure(err);
    if (code === undefined) console.error(err);
    process.exit(code ?? 1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  return main(argv);
}
