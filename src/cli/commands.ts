// The list of subcommands, in pipeline order. Each file in src/cli/ registers one.
import { Command } from 'commander';
import { registerInspect } from './inspect';

type Register = (program: Command) => void;

const registrations: Register[] = [registerInspect];

export function registerSubcommands(program: Command): void {
  for (const register of registrations) register(program);
}
