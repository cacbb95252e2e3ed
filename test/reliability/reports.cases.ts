// Fault cases of the reports and predictions area (issue 10, items 11-14): flags that contradict each
// other or carry a bad value get one `dlrm: ` line naming the flag (or the config file and key), exit 2,
// and no output. Every path that takes a learning rate (flag, config file) says the same sentence.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultCase, FaultRun } from './faultCase';

const LR_SENTENCE = 'is not a learning rate: it must be a positive finite number, e.g. 0.1';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A train run on synthetic data with a bad learning rate given by `args` (and maybe a config file). */
function lrCase(name: string, args: (dir: string) => string[], where: string): FaultCase {
  return {
    name,
    kind: 'bad-input',
    prepare: (dir): FaultRun => ({
      args: [
        'train',
        '--data-generation',
        'synthetic',
        '--data-size',
        '1000',
        '--save-model',
        path.join(dir, 'm.ckpt'),
        ...args(dir),
      ],
      expectExit: 2,
      // a config file is named by its path (the temporary folder's)
      expectMessage: new RegExp(`^dlrm: (\\S*/)?${escape(where)} ${escape(LR_SENTENCE)}$`),
      absent: [path.join(dir, 'm.ckpt')],
    }),
  };
}

/** A config file in `dir` holding `settings`; returns its path. */
function config(dir: string, settings: object): string {
  const file = path.join(dir, 'run.json');
  fs.writeFileSync(file, JSON.stringify(settings));
  return file;
}

/** A predict run refused on its flags alone (the checkpoint is never read). */
function predictFlagCase(name: string, args: string[], message: RegExp): FaultCase {
  return {
    name,
    kind: 'bad-input',
    prepare: (dir): FaultRun => {
      fs.writeFileSync(path.join(dir, 'test.txt'), '1\t2\n');
      return {
        args: [
          'predict',
          '--load-model',
          path.join(dir, 'm.ckpt'),
          '--input',
          path.join(dir, 'test.txt'),
          '--output',
          path.join(dir, 'p.csv'),
          ...args,
        ],
        expectExit: 2,
        expectMessage: message,
        absent: [path.join(dir, 'p.csv')],
      };
    },
  };
}

export const reportsCases: FaultCase[] = [
  lrCase('train --learning-rate -1', () => ['--learning-rate', '-1'], "--learning-rate: '-1'"),
  lrCase('train --learning-rate 0', () => ['--learning-rate', '0'], "--learning-rate: '0'"),
  lrCase('train --learning-rate abc', () => ['--learning-rate', 'abc'], "--learning-rate: 'abc'"),
  lrCase('train --learning-rate NaN', () => ['--learning-rate', 'NaN'], "--learning-rate: 'NaN'"),
  lrCase(
    'train --config with "learning-rate": -1',
    (dir) => ['--config', config(dir, { 'learning-rate': -1 })],
    `run.json: "learning-rate": -1`,
  ),
  lrCase(
    'train --config with "learning-rate": "fast"',
    (dir) => ['--config', config(dir, { learningRate: 'fast' })],
    `run.json: "learning-rate": 'fast'`,
  ),
  predictFlagCase(
    'predict --format kaggle-submission with --id-column',
    ['--format', 'kaggle-submission', '--id-column', 'Id'],
    /^dlrm: --id-column: --format kaggle-submission has its own columns Id,Predicted/,
  ),
  predictFlagCase(
    'predict --id-start without --id-column',
    ['--id-start', '60000000'],
    /^dlrm: --id-start needs --id-column <name> \(the column that holds the ids\) or --format kaggle-submission$/,
  ),
  {
    name: 'preprocess --schema over an interrupted run, without --resume',
    kind: 'bad-input',
    prepare: (dir): FaultRun => {
      fs.writeFileSync(path.join(dir, 'logs.csv'), 'click,x\n1,a\n0,b\n');
      fs.writeFileSync(
        path.join(dir, 'schema.json'),
        JSON.stringify({
          delimiter: ',',
          header: true,
          columns: ['click', 'x'],
          label: { name: 'click' },
          dense: [],
          categorical: [{ name: 'x', encoding: 'string' }],
        }),
      );
      // the work folder a killed run leaves behind
      fs.mkdirSync(path.join(dir, '.logs.dlrm.parts.partial'));
      return {
        args: ['preprocess', '--schema', path.join(dir, 'schema.json'), '--raw-data-file', path.join(dir, 'logs.csv')],
        expectExit: 2,
        expectMessage:
          /^dlrm: \S*\.logs\.dlrm\.parts\.partial holds an interrupted run for \S*logs\.dlrm: rerun with --resume to continue it, or delete that folder to start again$/,
        absent: [path.join(dir, 'logs.dlrm'), path.join(dir, 'logs.dlrm.parts')],
      };
    },
  },
];
