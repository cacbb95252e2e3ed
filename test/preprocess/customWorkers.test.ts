// A --schema run on any number of parse threads writes the same bytes: the log fixture (header, quoted
// strings, a multi-hot list, standardize, a date split; and a random split with sub-sampling and
// --min-frequency) cut into many small blocks, preprocessed with 1 and 3 workers, gives byte-identical
// merged files, shards, vocabularies and manifests.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runPreprocess, type PreprocessConfig } from '../../src/preprocess/pipeline';
import { tempDir } from '../helpers/sharedData';
import { LOG_SCHEMA, logCsv, logRows, writeJson } from '../schema/fixtures';
import { outputBytes } from './fixtures';

const dir = tempDir('custom-workers');
after(() => fs.rmSync(dir, { recursive: true, force: true }));
process.env.SOURCE_DATE_EPOCH = '1700000000';

const raw = path.join(dir, 'logs.csv');
fs.writeFileSync(raw, logCsv(logRows(4000, 5)));

async function run(
  name: string,
  schema: object,
  workers: number,
  extra: Partial<PreprocessConfig> = {},
): Promise<Map<string, Buffer>> {
  const out = path.join(dir, `${name}-${workers}`, 'out.dlrm');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const cfg: PreprocessConfig = {
    schemaFile: writeJson(path.join(dir, `${name}.json`), schema),
    rawDataFile: raw,
    processedDataFile: out,
    maxIndRange: -1,
    dataSubSampleRate: 0,
    dataRandomize: 'total',
    minFrequency: 0,
    seed: 3,
    skipInvalidLines: false,
    resume: false,
    workers,
    blockBytes: 1500,
    ...extra,
  };
  await runPreprocess(cfg);
  return outputBytes(out);
}

for (const [name, schema, extra] of [
  ['date split', LOG_SCHEMA, {}],
  [
    'random split, sub-sampled, min-frequency',
    {
      ...LOG_SCHEMA,
      columns: LOG_SCHEMA.columns.map((c) => (c === 'day' ? 'ignore' : c)),
      split: { by: 'random', test: 0.1, val: 0.1 },
    },
    { dataSubSampleRate: 0.3, minFrequency: 2 },
  ],
] as const) {
  test(`--workers 3 writes the bytes of --workers 1 (${name}, 1.5 kB blocks)`, async () => {
    const one = await run(name.replace(/\W+/g, '-'), schema, 1, extra);
    const three = await run(name.replace(/\W+/g, '-'), schema, 3, extra);
    assert.ok(one.size >= 5, `${one.size} output files`);
    assert.deepEqual([...three.keys()].sort(), [...one.keys()].sort());
    for (const [file, bytes] of one) assert.ok(bytes.equals(three.get(file) as Buffer), `${file} differs`);
  });
}
