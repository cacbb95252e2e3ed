// Arch validation: the derived top input width and the messages naming each bad value.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildDlrmArch, interactionOutputWidth, validateDlrmArch } from '../../src/model/archConfig';
import { UserError } from '../../src/util/errors';

const kaggleTables = Array.from({ length: 26 }, (_, i) => 100 + i);
const base = {
  mlpBot: [13, 512, 256, 64, 16],
  mlpTop: [512, 256, 1],
  tableSizes: kaggleTables,
  numDense: 13,
  interaction: 'dot' as const,
  interactionItself: false,
};

test('top MLP input is derived: Kaggle dot gives 367, with itself 394, cat gives 432', () => {
  assert.deepEqual(buildDlrmArch(base).mlpTop, [367, 512, 256, 1]);
  assert.equal(buildDlrmArch({ ...base, interactionItself: true }).mlpTop[0], 16 + 378);
  assert.equal(buildDlrmArch({ ...base, interaction: 'cat' }).mlpTop[0], 16 * 27);
  assert.equal(buildDlrmArch({ ...base, interaction: 'cat', interactionItself: true }).interactionItself, false);
  assert.equal(interactionOutputWidth('dot', false, 2, 2), 5);
  const arch = buildDlrmArch({ ...base, sparseFeatureSize: 16 });
  assert.equal(arch.embeddingDim, 16);
  validateDlrmArch(arch);
});

test('arch validation names the bad value', () => {
  const bad = (over: Partial<typeof base> & { sparseFeatureSize?: number }, re: RegExp) =>
    assert.throws(
      () => buildDlrmArch({ ...base, ...over }),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
  bad(
    { mlpBot: [13, 512, 256, 64, 32], sparseFeatureSize: 16 },
    /last width 32 .*must equal --arch-sparse-feature-size 16/,
  );
  bad({ sparseFeatureSize: 8 }, /last width 16 .*--arch-sparse-feature-size 8/);
  bad({ mlpBot: [12, 512, 16] }, /first width 12 .*number of dense features 13/);
  bad({ mlpTop: [512, 256, 2] }, /--arch-mlp-top: the last width 2 .*'512-256-2'.* must be 1/);
  bad({ mlpBot: [13, 0, 16] }, /--arch-mlp-bot: width '0'/);
  bad({ mlpBot: [16] }, /needs at least an input and an output/);
  bad({ tableSizes: [10, 0] }, /embedding table 1: size '0'/);
  bad({ tableSizes: [] }, /at least one categorical feature/);
  assert.throws(
    () => validateDlrmArch({ ...buildDlrmArch(base), mlpTop: [300, 512, 256, 1] }),
    /top MLP input width 300 .* 367/,
  );
});
