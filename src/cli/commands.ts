// The list of subcommands, in pipeline order. Each file in src/cli/ registers one.
import { Command } from 'commander';
import { registerEval } from './eval';
import { registerExport } from './export';
import { registerExportData } from './exportData';
import { registerGenerate } from './generate';
import { registerImport } from './import';
import { registerInspect } from './inspect';
import { registerPredict } from './predict';
import { registerPreprocess } from './preprocess';
import { registerReport } from './report';
import { registerSchema } from './schema';
import { registerServe } from './serve';
import { registerTrain } from './train';

type Register = (program: Command) => void;

const registrations: Register[] = [
  registerGenerate,
  registerSchema,
  registerPreprocess,
  registerInspect,
  registerTrain,
  registerEval,
  registerPredict,
  registerServe,
  registerExport,
  registerExportData,
  registerImport,
  registerReport,
];

export function registerSubcommands(program: Command): void {
  for (const register of registrations) register(program);
}
