// The list of subcommands, in pipeline order. Each file in src/cli/ registers one.
import { Command } from 'commander';

type Register = (program: Command) => void;

const registrations: Register[] = [];

export function registerSubcommands(program: Command): void {
  for (const register of registrations) register(program);
}
