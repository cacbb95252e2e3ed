// The list of subcommands, in pipeline order. Each file in src/cli/ registers one.
import { Command } from 'commander';
import { registerInspect } from './inspect';
import { registerPreprocess } from './preprocess';

type Register = (program: Command) => void;

const registrations: Register[] = [registerPreprocess, registerInspect];

export function registerSubcommands(program: Command): void {
  for (const register of registrations) register(program);
}
