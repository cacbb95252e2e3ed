// What every subcommand file of src/cli/ shares: the common options (--log-file, --log-level) and the
// wrapper of its action (logging set up from them, then the action). Kept apart from main.ts, which
// registers the subcommands, so that no subcommand imports the module that imports it.
import type { Command } from 'commander';
import { UserError } from '../util/errors';
import { setupLogger } from '../util/log';

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
 * Wraps a subcommand's action: checks --log-level, sets up logging from the common options and runs it
 * (main.ts turns a UserError it throws into one `dlrm:` line and a non-zero exit code).
 */
export function runAction<O extends CommonOptions>(
  action: (opts: O) => Promise<void> | void,
): (opts: O) => Promise<void> {
  return async (opts: O) => {
    if (!['debug', 'info', 'warn', 'error'].includes(opts.logLevel)) {
      throw new UserError(`--log-level: '${opts.logLevel}' is not one of debug, info, warn, error`);
    }
    setupLogger({ logFile: opts.logFile, level: opts.logLevel });
    await action(opts);
  };
}
