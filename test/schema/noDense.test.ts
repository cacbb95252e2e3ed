// End to end on a custom schema with NO dense column (a CSV written here: a label, two string categoricals
// and a multi-hot list): preprocess gives numDense 0; `dlrm train` refuses a bottom MLP whose first width is
// not 1 (the constant dense input) and trains with 1-8-4 on the default engine; `dlrm eval` scores the test
// split; `dlrm predict` on the raw test rows gives the same probabilities as the engine on the processed
// test split (loaded checkpoint, withConstantDense source), so every path feeds the model the same input.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../../src/dataset/manifest';
import { openProcessedSplit } from '../../src/dataset/loader';
import { withConstantDense } from '../../src/dataset/constantDense';
import { createInferenceEngine, loadInferenceModel } from '../../src/predict/inferenceModel';
import { foldIndices } from '../../src/dataset/foldIndices';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';
import { dlrm, writeJson } from './fixtures';

const dir = tempDir('schema-nodense');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SCHEMA = {
  delimiter: ',',
  header: true,
  columns: ['click', 'country', 'user', 'tags'],
  label: { name: 'click' },
  dense: [],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'user', encoding: 'string' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
};

/** `n` seeded rows "click,country,user,tags" with a click signal on country and tags. */
function rowLines(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const countries = ['fr', 'de', 'us', 'jp'],
    tags = ['sports', 'news', 'tech', 'music'];
  return Array.from({ length: n }, () => {
    const country = countries[rng.nextInt(countries.length)];
    const list = tags.filter(() => rng.next() < 0.4);
    const click = rng.next() < (country === 'fr' || list.includes('tech') ? 0.8 : 0.1) ? 1 : 0;
    return `${click},${country},user-${rng.nextInt(30)},${list.join('|')}`;
  });
}

const lines = rowLines(700, 3);
const raw = path.join(dir, 'clicks.csv');
fs.writeFileSync(raw, ['click,country,user,tags', ...lines].join('\n') + '\n');
const schemaFile = writeJson(path.join(dir, 'schema.json'), SCHEMA);
const merged = path.join(dir, 'clicks.dlrm');
const ckpt = path.join(dir, 'model.ckpt');
const ARCH = ['--arch-mlp-top', '8-1', '--mini-batch-size', '32', '--num-batches', '8', '--learning-rate', '0.1'];

test('no dense column: preprocess, train (bottom MLP 1-8-4 on the constant input), eval and predict', async () => {
  const pre = dlrm('preprocess', '--schema', schemaFile, '--raw-data-file', raw);
  assert.equal(pre.status, 0, pre.stderr);
  const manifest = JSON.parse(fs.readFileSync(`${merged}.parts/manifest.json`, 'utf8')) as Manifest;
  assert.equal(manifest.numDense, 0);

  // the default bottom MLP (13-64-16) is refused, naming the constant input and the fix
  const wrong = dlrm('train', '--processed-data-file', merged, ...ARCH);
  assert.equal(wrong.status, 2, wrong.stderr);
  assert.match(
    wrong.stderr,
    /--arch-mlp-bot: the first width 13 .* must be 1: the data has no dense features, so the bottom MLP takes one constant input equal to 1.*e\.g\. --arch-mlp-bot 1-64-16/,
  );

  const tr = dlrm('train', '--processed-data-file', merged, '--arch-mlp-bot', '1-8-4', ...ARCH, '--save-model', ckpt);
  assert.equal(tr.status, 0, tr.stderr);
  const model = loadInferenceModel(ckpt);
  assert.deepEqual(model.arch.mlpBot, [1, 8, 4]);

  const testRows = manifest.splits.test.end - manifest.splits.test.start;
  const ev = dlrm('eval', '--processed-data-file', merged, '--load-model', ckpt, '--json');
  assert.equal(ev.status, 0, ev.stderr);
  assert.ok(ev.stdout.includes(`"rows":${testRows}`), ev.stdout);

  // the blocks split keeps file order: the test split is lines [start, end) of the file's data rows
  const testCsv = path.join(dir, 'test.csv');
  fs.writeFileSync(
    testCsv,
    ['click,country,user,tags', ...lines.slice(manifest.splits.test.start, manifest.splits.test.end)].join('\n') + '\n',
  );
  const pr = dlrm('predict', '--load-model', ckpt, '--input', testCsv, '--mini-batch-size', '64');
  assert.equal(pr.status, 0, pr.stderr);
  const predicted = pr.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  assert.equal(predicted.length, testRows);

  // the processed path: the engine on the test split through the same wrapper, same batch size
  const split = openProcessedSplit(merged, 'test');
  const engine = await createInferenceEngine(model, { engine: 'auto' });
  try {
    const source = withConstantDense(foldIndices(split, model.maxIndRange));
    let at = 0;
    for await (const batch of source.batches(64)) {
      const scores = await engine.predict(batch);
      for (let i = 0; i < batch.size; i++, at++) {
        const [line, prob, label] = predicted[at];
        assert.equal(Number(line), at + 2, `row ${at}: line 1 is the header`);
        assert.equal(Number(label), batch.labels[i], `row ${at} label`);
        assert.ok(Math.abs(Number(prob) - scores[i]) <= 1e-6, `row ${at}: predict ${prob}, engine ${scores[i]}`);
      }
    }
    assert.equal(at, testRows);
    // the model learned something from the bags alone: the scores are not all the same
    assert.ok(new Set(predicted.map((p) => p[1])).size > 5);
  } finally {
    engine.dispose();
    split.close();
  }
});
