// Fault cases of the one preprocess pipeline on users' own logs (`dlrm preprocess --schema`, parsed on
// --workers threads): a bad value far into the file, an unclosed quote, a header that is not the schema's
// columns, an empty file, a truncated .gz, a schema that is not JSON or cannot be read. Each must end with
// one `dlrm: ` line naming the file (and line and 1-based field where one is at fault), exit 2, and no
// output under its final name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { LOG_SCHEMA, logCsv, logRows } from '../schema/fixtures';
import type { FaultCase, FaultRun } from './faultCase';

/** `text` as the input `name`, the schema (the log fixture's unless given), and the run over them. */
function schemaRun(
  dir: string,
  name: string,
  text: string,
  expectMessage: RegExp,
  schemaText = JSON.stringify(LOG_SCHEMA),
): FaultRun {
  const raw = path.join(dir, name);
  fs.writeFileSync(raw, text);
  const schema = path.join(dir, 'schema.json');
  fs.writeFileSync(schema, schemaText);
  const out = path.join(dir, 'out.dlrm');
  return {
    args: ['preprocess', '--schema', schema, '--raw-data-file', raw, '--processed-data-file', out, '--workers', '2'],
    expectExit: 2,
    expectMessage,
    absent: [out, `${out}.parts`],
  };
}

/** The log fixture (header + 3000 rows) with line `lineNo` (1-based) edited. */
function editedLog(lineNo: number, edit: (line: string) => string): string {
  const lines = logCsv(logRows(3000, 2)).split('\n');
  lines[lineNo - 1] = edit(lines[lineNo - 1]);
  return lines.join('\n');
}

export const pipelineCases: FaultCase[] = [
  {
    name: 'preprocess --schema --workers 2: a bad dense value on line 2900',
    kind: 'bad-input',
    prepare: (dir) =>
      schemaRun(
        dir,
        'logs.csv',
        editedLog(2900, (l) => l.replace(/^([01],[^,]*,)[^,]*,/, '$1cheap,')),
        /^dlrm: .*logs\.csv:2900: field 3 \(price\): 'cheap' is not a number$/,
      ),
  },
  {
    name: 'preprocess --schema: an unclosed quote',
    kind: 'bad-input',
    prepare: (dir) =>
      schemaRun(
        dir,
        'logs.csv',
        editedLog(1500, () => '0,2024-01-03,1.5,"fr,user-1,news'),
        /^dlrm: .*logs\.csv:1500: field 4 \(country\): has an opening quote without a closing one/,
      ),
  },
  {
    name: "preprocess --schema: a header that is not the schema's columns",
    kind: 'bad-input',
    prepare: (dir) =>
      schemaRun(
        dir,
        'logs.csv',
        editedLog(1, (l) => l.replace('price', 'cost')),
        /^dlrm: .*logs\.csv:1: the header does not match the schema's columns: column 3 is 'cost', the schema says 'price'$/,
      ),
  },
  {
    name: 'preprocess --schema: an empty file',
    kind: 'bad-input',
    prepare: (dir) => schemaRun(dir, 'logs.csv', '', /^dlrm: .*logs\.csv: no data lines \(the file is empty\)$/),
  },
  {
    name: 'preprocess --schema: a truncated .gz',
    kind: 'bad-input',
    prepare: (dir) => {
      const gz = zlib.gzipSync(logCsv(logRows(3000, 3)));
      return schemaRunGz(dir, gz.subarray(0, gz.length - 200));
    },
  },
  {
    name: 'preprocess --schema: the schema is not JSON',
    kind: 'bad-input',
    prepare: (dir) =>
      schemaRun(dir, 'logs.csv', logCsv(logRows(50, 4)), /^dlrm: .*schema\.json: not valid JSON/, '{"delimiter": ",",'),
  },
];

/** A truncated .gz input under the log schema. */
function schemaRunGz(dir: string, bytes: Buffer): FaultRun {
  const run = schemaRun(dir, 'logs.csv.gz', '', /^dlrm: .*logs\.csv\.gz: truncated or corrupt gzip data/);
  fs.writeFileSync(path.join(dir, 'logs.csv.gz'), bytes);
  return run;
}
