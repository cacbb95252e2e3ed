// Tests of the train config: defaults < config file < command line, config-file parsing (both key
// spellings, real booleans, relative paths, unknown keys), the shipped configs, and validation messages.
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_TRAIN_CONFIG, readConfigFile, resolveTrainConfig, TRAIN_FLAGS } from '../../src/train/config';
import { UserError } from '../../src/util/errors';
import { repoRoot, tempDir } from '../helpers/sharedData';

const dir = tempDir('train-config');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, body: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
  return file;
}

const userError = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test(e.message);

test('every TrainConfig field has exactly one flag, and every flag a default', () => {
  const keys = Object.keys(DEFAULT_TRAIN_CONFIG).sort();
  assert.deepEqual(TRAIN_FLAGS.map((f) => f.key).sort(), keys);
  assert.equal(new Set(TRAIN_FLAGS.map((f) => f.flag)).size, TRAIN_FLAGS.length);
});

test('defaults < config file < command line', () => {
  const file = writeConfig('a.json', {
    'mini-batch-size': 64,
    learningRate: 0.5,
    'arch-mlp-bot': '13-32-8',
    'arch-interaction-itself': true,
  });
  const c = resolveTrainConfig({ learningRate: 0.25 }, file);
  assert.equal(c.miniBatchSize, 64); // file
  assert.equal(c.learningRate, 0.25); // command line wins
  assert.deepEqual(c.archMlpBot, [13, 32, 8]);
  assert.equal(c.archInteractionItself, true);
  assert.equal(c.nepochs, DEFAULT_TRAIN_CONFIG.nepochs); // default
  // a boolean can be turned off over the file
  assert.equal(resolveTrainConfig({ archInteractionItself: false }, file).archInteractionItself, false);
  // undefined command-line values (flags not given) don't erase the file's
  assert.equal(resolveTrainConfig({ miniBatchSize: undefined }, file).miniBatchSize, 64);
});

test('data generation defaults to dataset with a processed file, else random; paths in a file are relative to it', () => {
  assert.equal(resolveTrainConfig({}).dataGeneration, 'random');
  assert.equal(resolveTrainConfig({ processedDataFile: 'x.dlrm' }).dataGeneration, 'dataset');
  const file = writeConfig('p.json', { 'processed-data-file': 'data/kaggle.dlrm', 'save-model': '/abs/m.ckpt' });
  const c = resolveTrainConfig({}, file);
  assert.equal(c.processedDataFile, path.join(dir, 'data/kaggle.dlrm'));
  assert.equal(c.saveModel, '/abs/m.ckpt');
});

test('config-file values: arrays and dash strings, real booleans only, numbers checked', () => {
  assert.deepEqual(readConfigFile(writeConfig('l.json', { 'arch-mlp-top': [64, 1], 'loss-weights': [1, 3] })), {
    archMlpTop: [64, 1],
    lossWeights: [1, 3],
  });
  assert.deepEqual(readConfigFile(writeConfig('l2.json', { 'loss-weights': '0.5-2.5' })), { lossWeights: [0.5, 2.5] });
  assert.throws(
    () => readConfigFile(writeConfig('b.json', { 'arch-interaction-itself': 'False' })),
    userError(/b\.json: "arch-interaction-itself": "False" is not a boolean/),
  );
  assert.throws(
    () => readConfigFile(writeConfig('n.json', { 'mini-batch-size': 0 })),
    userError(/"mini-batch-size": 0 is outside/),
  );
  assert.throws(
    () => readConfigFile(writeConfig('f.json', { 'mini-batch-size': 1.5 })),
    userError(/is not an integer/),
  );
  assert.throws(
    () => readConfigFile(writeConfig('c.json', { optimizer: 'adam' })),
    userError(/"optimizer": 'adam' is not one of sgd, adagrad, rowwise-adagrad/),
  );
  assert.throws(
    () => readConfigFile(writeConfig('u.json', { 'mini-bach-size': 3 })),
    userError(/unknown setting "mini-bach-size"/),
  );
  assert.throws(() => readConfigFile(writeConfig('j.json', '{"nepochs": 2,')), userError(/j\.json: not valid JSON/));
  assert.throws(
    () => readConfigFile(writeConfig('r.json', { 'raw-data-file': 'train.txt' })),
    userError(/--raw-data-file: .*run `dlrm preprocess`/),
  );
  assert.throws(
    () => readConfigFile(path.join(dir, 'missing.json')),
    userError(/--config .*missing\.json: cannot read it/),
  );
});

test('validation: data generation and processed file must agree', () => {
  assert.throws(
    () => resolveTrainConfig({ dataGeneration: 'dataset' }),
    userError(/--data-generation dataset needs --processed-data-file/),
  );
  assert.throws(
    () => resolveTrainConfig({ dataGeneration: 'random', processedDataFile: 'k.dlrm' }),
    userError(/--processed-data-file is given but --data-generation is random: use --data-generation dataset/),
  );
  assert.throws(
    () => resolveTrainConfig({ learningRate: 1, lrNumWarmupSteps: 10, lrDecayStartStep: 5, lrNumDecaySteps: 5 }),
    userError(/inside the warmup/),
  );
  assert.throws(
    () => resolveTrainConfig({ processedDataFile: 'k.dlrm', archEmbeddingSize: [10, 10] }),
    userError(/--arch-embedding-size applies to random\/synthetic data only/),
  );
  assert.throws(
    () => resolveTrainConfig({ processedDataFile: 'k.dlrm', dataSize: 1000 }),
    userError(/--data-size applies to random\/synthetic data only/),
  );
});

test('the shipped configs load and hold the reference settings', () => {
  const configs = path.join(repoRoot(), 'configs');
  const kaggle = resolveTrainConfig({ processedDataFile: 'k.dlrm' }, path.join(configs, 'kaggle.json'));
  assert.deepEqual(
    [kaggle.archMlpBot, kaggle.archMlpTop, kaggle.miniBatchSize, kaggle.learningRate, kaggle.lossFunction],
    [[13, 512, 256, 64, 16], [512, 256, 1], 128, 0.1, 'bce'],
  );
  const tb = resolveTrainConfig({ processedDataFile: 't.dlrm' }, path.join(configs, 'terabyte.json'));
  assert.deepEqual(
    [tb.archMlpBot, tb.archMlpTop, tb.maxIndRange, tb.miniBatchSize],
    [[13, 512, 256, 64], [512, 512, 256, 1], 10_000_000, 2048],
  );
  const dcn = resolveTrainConfig({ processedDataFile: 't.dlrm' }, path.join(configs, 'dlrm-dcnv2.json'));
  assert.deepEqual(
    [
      dcn.archInteractionOp,
      dcn.dcnNumLayers,
      dcn.dcnLowRankDim,
      dcn.archSparseFeatureSize,
      dcn.archMlpBot,
      dcn.archMlpTop,
      dcn.optimizer,
      dcn.learningRate,
      dcn.miniBatchSize,
      dcn.maxIndRange,
    ],
    ['dcn', 3, 512, 128, [13, 512, 256, 128], [1024, 1024, 512, 256, 1], 'rowwise-adagrad', 0.005, 65536, 40_000_000],
  );
  // without a processed file the dataset configs say what is missing
  assert.throws(
    () => resolveTrainConfig({}, path.join(configs, 'kaggle.json')),
    userError(/needs --processed-data-file/),
  );
  const smoke = resolveTrainConfig({}, path.join(configs, 'smoke.json'));
  assert.equal(smoke.dataGeneration, 'synthetic');
  assert.equal(smoke.archEmbeddingSize.length, 26);
});
