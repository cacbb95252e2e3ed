// The list of subcommands, in pipeline order. Each file in src/cli/ registers one.
import { Command } from 'commander';
import { registerGenerate } from './generate';
import { registerInspect } from './inspect';
import { registerPreprocess } from './preprocess';
import { registerReport } from './report';
import { registerTrain } from './train';

type Register = (program: Command) => void;

const registrations: Register[] = [registerGenerate, registerPreprocess, registerInspect, registerTrain, registerReport];

export function registerSubcommands(program: Command): void {
  for (const register of registrations) register(program);
}
