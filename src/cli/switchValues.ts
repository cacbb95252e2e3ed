// Refuses a value given to a boolean flag (`--arch-interaction-itself=False`) with a message naming the
// flag and its spellings, for every subcommand. Commander would report a generic "unknown option", and
// the reference DLRM reads any such value as true: here a switch is only ever `--flag` or `--no-flag`.
// Scans argv (node, script, [subcommand], args...) up to a `--` terminator before commander parses it.
import type { Command, Option } from 'commander';
import { UserError } from '../util/errors';

/** A flag that takes no value: `--flag` or its negation `--no-flag` (commander's isBoolean() excludes the latter). */
export function isSwitch(option: Option): boolean {
  return !option.required && !option.optional;
}

/** The long option `long` of `cmd` or of the program above it (its options are accepted anywhere). */
function findLong(cmd: Command, program: Command, long: string): Option | undefined {
  return cmd.options.find((o) => o.long === long) ?? program.options.find((o) => o.long === long);
}

/** Throws a UserError for the first `--flag=value` in `argv` whose flag is a switch of its (sub)command. */
export function refuseSwitchValues(program: Command, argv: readonly string[]): void {
  let cmd = program;
  for (const arg of argv.slice(2)) {
    if (arg === '--') return;
    if (cmd === program && !arg.startsWith('-')) {
      cmd = program.commands.find((c) => c.name() === arg || c.aliases().includes(arg)) ?? program;
      continue;
    }
    const eq = arg.indexOf('=');
    if (!arg.startsWith('--') || eq < 0) continue;
    const flag = arg.slice(0, eq);
    const option = findLong(cmd, program, flag);
    if (!option || !isSwitch(option)) continue;
    const positive = option.negate ? `--${flag.slice('--no-'.length)}` : flag;
    const spellings = [positive, `--no-${positive.slice(2)}`].filter((f) => findLong(cmd, program, f));
    throw new UserError(`${flag} is a switch and takes no value (use ${spellings.join(' or ')})`);
  }
}
