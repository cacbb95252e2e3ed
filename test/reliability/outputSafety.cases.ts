// Output safety (issue 10 items 1, 2 and the stack-trace classes): outputs that are an input (directly,
// through a symbolic link, through a hard link) or lie inside a parts folder are refused before anything
// is written; inputs that are folders or unreadable, a --log-file or --save-model in a missing folder, and
// stdout on a full device give one `dlrm:` line, exit 2, no stack frame, inputs unchanged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FaultCase, FaultRun } from './faultCase';
import { AS_NOBODY, asNobodySkip, noLeftovers, safetyData, SMALL_MODEL } from './safetyFixtures';

const copy = (from: string, dir: string, name: string): string => {
  const to = path.join(dir, name);
  fs.copyFileSync(from, to);
  return to;
};

/** A raw file of the fixture copied into `dir` (cases may overwrite their own copy, never the fixture). */
async function rawIn(dir: string): Promise<string> {
  return copy((await safetyData()).raw, dir, 'in.txt');
}

const refused = (
  args: string[],
  expectMessage: RegExp,
  unchanged: string[],
  absent: string[] = [],
  dir?: string,
): FaultRun => ({
  args: [...args, '--log-level', 'warn'],
  expectExit: 2,
  expectMessage,
  unchanged,
  absent,
  ...(dir ? { check: noLeftovers(dir) } : {}),
});

const stillsFolder = (dir: string): string => path.join(dir, 'no-such-folder');

export const outputSafetyCases: FaultCase[] = [
  {
    name: 'preprocess --processed-data-file is the --raw-data-file',
    kind: 'output-safety',
    async prepare(dir) {
      const raw = await rawIn(dir);
      return refused(
        ['preprocess', '--raw-data-file', raw, '--processed-data-file', raw],
        /--processed-data-file .*in\.txt: is the input --raw-data-file/,
        [raw],
        [`${raw}.parts`],
        dir,
      );
    },
  },
  {
    name: 'preprocess --processed-data-file is a symbolic link to the raw input',
    kind: 'output-safety',
    async prepare(dir) {
      const raw = await rawIn(dir);
      const link = path.join(dir, 'link.dlrm');
      fs.symlinkSync(raw, link);
      return refused(
        ['preprocess', '--raw-data-file', raw, '--processed-data-file', link],
        /is the input --raw-data-file .*\(through a link\)/,
        [raw],
        [`${link}.parts`],
        dir,
      );
    },
  },
  {
    name: 'preprocess --processed-data-file is a hard link to the raw input',
    kind: 'output-safety',
    async prepare(dir) {
      const raw = await rawIn(dir);
      const link = path.join(dir, 'hard.dlrm');
      fs.linkSync(raw, link);
      return refused(
        ['preprocess', '--raw-data-file', raw, '--processed-data-file', link],
        /is the input --raw-data-file .*\(a hard link to it\)/,
        [raw, link],
        [`${link}.parts`],
        dir,
      );
    },
  },
  {
    name: 'preprocess --processed-data-file inside the parts folder of another dataset',
    kind: 'output-safety',
    async prepare(dir) {
      const d = await safetyData();
      const raw = await rawIn(dir);
      const inside = path.join(`${d.processed}.parts`, 'x.dlrm');
      return refused(
        ['preprocess', '--raw-data-file', raw, '--processed-data-file', inside],
        /lies inside .*train\.dlrm\.parts, the parts folder of a processed dataset/,
        [raw, path.join(`${d.processed}.parts`, 'manifest.json')],
        [inside, `${inside}.parts`],
      );
    },
  },
  {
    name: 'preprocess --raw-data-file inside the parts folder the run replaces',
    kind: 'output-safety',
    async prepare(dir) {
      const parts = path.join(dir, 'out.dlrm.parts');
      fs.mkdirSync(parts);
      const raw = copy((await safetyData()).raw, parts, 'in.txt');
      return refused(
        ['preprocess', '--raw-data-file', raw, '--processed-data-file', path.join(dir, 'out.dlrm')],
        /--raw-data-file .*in\.txt: lies inside .*out\.dlrm\.parts, which this run replaces/,
        [raw],
        [path.join(dir, 'out.dlrm')],
        dir,
      );
    },
  },
  {
    name: 'predict --output is the --input',
    kind: 'output-safety',
    async prepare(dir) {
      const d = await safetyData();
      const raw = await rawIn(dir);
      return refused(
        ['predict', '--load-model', d.checkpoint, '--input', raw, '--output', raw],
        /--output .*in\.txt: is the input --input/,
        [raw, d.checkpoint],
        [],
        dir,
      );
    },
  },
  {
    name: 'predict --output is the --load-model checkpoint',
    kind: 'output-safety',
    async prepare(dir) {
      const d = await safetyData();
      const ckpt = copy(d.checkpoint, dir, 'm.ckpt');
      return refused(
        ['predict', '--load-model', ckpt, '--input', d.raw, '--output', ckpt],
        /--output .*m\.ckpt: is the input --load-model/,
        [ckpt],
        [],
        dir,
      );
    },
  },
  {
    name: 'generate --out is the recorded raw input of a processed dataset',
    kind: 'output-safety',
    async prepare() {
      const d = await safetyData();
      return refused(
        ['generate', '--rows', '10', '--out', d.raw],
        /--out .*train\.txt: is the raw input of the processed dataset .*train\.dlrm/,
        [d.raw],
        [],
        d.dir,
      );
    },
  },
  {
    name: 'generate --out inside the parts folder of a dataset',
    kind: 'output-safety',
    async prepare() {
      const d = await safetyData();
      const inside = path.join(`${d.processed}.parts`, 'more.txt');
      return refused(['generate', '--rows', '10', '--out', inside], /lies inside .*train\.dlrm\.parts/, [], [inside]);
    },
  },
  {
    name: 'report --out is a --metrics file',
    kind: 'output-safety',
    async prepare(dir) {
      const metrics = copy((await safetyData()).metrics, dir, 'm.jsonl');
      return refused(
        ['report', '--metrics', metrics, '--out', metrics],
        /--out .*m\.jsonl: is the input --metrics/,
        [metrics],
        [],
        dir,
      );
    },
  },
  {
    name: 'schema --out is the --infer input',
    kind: 'output-safety',
    async prepare(dir) {
      const raw = await rawIn(dir);
      return refused(['schema', '--infer', raw, '--out', raw], /--out .*in\.txt: is the input --infer/, [raw], [], dir);
    },
  },
  {
    name: 'train --save-model is the --processed-data-file',
    kind: 'output-safety',
    async prepare() {
      const d = await safetyData();
      return refused(
        [
          'train',
          '--processed-data-file',
          d.processed,
          ...SMALL_MODEL,
          '--num-batches',
          '2',
          '--save-model',
          d.processed,
        ],
        /--save-model .*train\.dlrm: is the input --processed-data-file/,
        [d.processed],
      );
    },
  },
  {
    name: 'train --save-model in a missing folder is refused before training starts',
    kind: 'bad-input',
    async prepare(dir) {
      const d = await safetyData();
      const out = path.join(stillsFolder(dir), 'm.ckpt');
      return {
        args: [
          'train',
          '--processed-data-file',
          d.processed,
          ...SMALL_MODEL,
          '--num-batches',
          '2',
          '--save-model',
          out,
        ],
        expectExit: 2,
        expectMessage: /--save-model .*m\.ckpt: folder .*no-such-folder does not exist/,
        absent: [out],
        check: (r) =>
          /"msg":"training"|"msg":"native engine ready"/.test(r.stderr)
            ? `training started before the refusal:\n${r.stderr}`
            : undefined,
      };
    },
  },
  {
    name: '--log-file in a missing folder',
    kind: 'bad-input',
    async prepare(dir) {
      const raw = await rawIn(dir);
      const out = path.join(dir, 'schema.json');
      return refused(
        ['schema', '--infer', raw, '--out', out, '--log-file', path.join(stillsFolder(dir), 'log.jsonl')],
        /no-such-folder\/log\.jsonl: no such file or folder \(ENOENT while opening\)/,
        [raw],
        [out],
        dir,
      );
    },
  },
  {
    name: 'preprocess --raw-data-file is a folder (EISDIR)',
    kind: 'bad-input',
    prepare(dir) {
      const folder = path.join(dir, 'train.txt');
      fs.mkdirSync(folder);
      return refused(
        ['preprocess', '--raw-data-file', folder],
        /train\.txt: is a folder, not a file \(EISDIR/,
        [],
        [path.join(dir, 'train.dlrm')],
        dir,
      );
    },
  },
  {
    name: 'predict --input is a folder (EISDIR)',
    kind: 'bad-input',
    async prepare(dir) {
      const d = await safetyData();
      const folder = path.join(dir, 'test.txt');
      fs.mkdirSync(folder);
      const out = path.join(dir, 'p.csv');
      return refused(
        ['predict', '--load-model', d.checkpoint, '--input', folder, '--output', out],
        /test\.txt: is a folder, not a file \(EISDIR/,
        [],
        [out],
        dir,
      );
    },
  },
  {
    name: 'inspect --processed-data-file is a folder (EISDIR)',
    kind: 'bad-input',
    prepare(dir) {
      const folder = path.join(dir, 'x.dlrm');
      fs.mkdirSync(folder);
      return refused(
        ['inspect', '--processed-data-file', folder],
        /x\.dlrm: cannot open processed file \(EISDIR\)/,
        [],
      );
    },
  },
  {
    name: 'eval --load-model is a folder (EISDIR)',
    kind: 'bad-input',
    async prepare(dir) {
      const d = await safetyData();
      const folder = path.join(dir, 'm.ckpt');
      fs.mkdirSync(folder);
      return refused(
        ['eval', '--processed-data-file', d.processed, '--load-model', folder],
        /--load-model: cannot open .*m\.ckpt: EISDIR/,
        [d.processed],
      );
    },
  },
  {
    name: 'preprocess --raw-data-file unreadable (EACCES)',
    kind: 'bad-input',
    skip: asNobodySkip,
    async prepare(dir) {
      const raw = await rawIn(dir);
      fs.chmodSync(raw, 0o000);
      fs.chmodSync(dir, 0o777); // the child (user nobody when the tests run as root) may write its outputs here
      return {
        ...refused(
          ['preprocess', '--raw-data-file', raw],
          /in\.txt: permission denied \(EACCES while opening\)/,
          [],
          [path.join(dir, 'in.dlrm')],
          dir,
        ),
        env: { NODE_OPTIONS: `--require ${AS_NOBODY}` },
      };
    },
    cleanup(dir) {
      if (fs.existsSync(path.join(dir, 'in.txt'))) fs.chmodSync(path.join(dir, 'in.txt'), 0o644);
    },
  },
  {
    name: 'predict --input unreadable (EACCES)',
    kind: 'bad-input',
    skip: asNobodySkip,
    async prepare(dir) {
      const d = await safetyData();
      const raw = await rawIn(dir);
      fs.chmodSync(raw, 0o000);
      fs.chmodSync(dir, 0o777);
      const out = path.join(dir, 'p.csv');
      return {
        ...refused(
          ['predict', '--load-model', d.checkpoint, '--input', raw, '--output', out],
          /in\.txt: permission denied \(EACCES while opening\)/,
          [],
          [out],
          dir,
        ),
        env: { NODE_OPTIONS: `--require ${AS_NOBODY}` },
      };
    },
  },
  {
    name: 'predict to stdout on a full device (/dev/full)',
    kind: 'disk-full',
    skip: () => (fs.existsSync('/dev/full') ? undefined : 'no /dev/full here'),
    async prepare() {
      const d = await safetyData();
      return {
        args: ['predict', '--load-model', d.checkpoint, '--input', d.raw, '--log-level', 'warn'],
        stdoutTo: '/dev/full',
        expectExit: 2,
        expectMessage:
          /^dlrm: cannot write to stdout: no space left on the device \(ENOSPC while writing\); the output is incomplete$/,
      };
    },
  },
  {
    name: 'inspect --rows to stdout on a full device (/dev/full)',
    kind: 'disk-full',
    skip: () => (fs.existsSync('/dev/full') ? undefined : 'no /dev/full here'),
    async prepare() {
      const d = await safetyData();
      return {
        args: ['inspect', '--processed-data-file', d.processed, '--rows', '0:100', '--log-level', 'warn'],
        stdoutTo: '/dev/full',
        expectExit: 2,
        expectMessage: /cannot write to stdout: no space left/,
      };
    },
  },
  {
    name: 'inspect --json to stdout on a full device (/dev/full)',
    kind: 'disk-full',
    skip: () => (fs.existsSync('/dev/full') ? undefined : 'no /dev/full here'),
    async prepare() {
      const d = await safetyData();
      return {
        args: ['inspect', '--processed-data-file', d.processed, '--json', '--log-level', 'warn'],
        stdoutTo: '/dev/full',
        expectExit: 2,
        expectMessage: /cannot write to stdout: no space left/,
      };
    },
  },
  {
    name: 'schema to stdout on a full device (/dev/full)',
    kind: 'disk-full',
    skip: () => (fs.existsSync('/dev/full') ? undefined : 'no /dev/full here'),
    async prepare() {
      const d = await safetyData();
      return {
        args: ['schema', '--infer', d.raw, '--log-level', 'warn'],
        stdoutTo: '/dev/full',
        expectExit: 2,
        expectMessage: /cannot write to stdout: no space left/,
      };
    },
  },
  {
    name: 'eval to stdout on a full device (/dev/full)',
    kind: 'disk-full',
    skip: () => (fs.existsSync('/dev/full') ? undefined : 'no /dev/full here'),
    async prepare() {
      const d = await safetyData();
      return {
        args: ['eval', '--processed-data-file', d.processed, '--load-model', d.checkpoint, '--log-level', 'warn'],
        stdoutTo: '/dev/full',
        expectExit: 2,
        expectMessage: /cannot write to stdout: no space left/,
      };
    },
  },
];
