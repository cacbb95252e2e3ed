// TensorFlow.js backend selection: auto picks the first loadable backend and activates it; a forced
// backend that cannot load is a one-line UserError naming it; wasm and cpu always load here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectTfjsBackend, TFJS_BACKENDS } from '../../src/engine/tfjs/backend';
import { UserError } from '../../src/util/errors';
import './backends'; // quiet logger

const tfName = (b: string) => (b.startsWith('tensorflow') ? 'tensorflow' : b);

test('forced wasm and cpu load and become the active backend', async () => {
  for (const b of ['wasm', 'cpu'] as const) {
    assert.equal(await selectTfjsBackend(b), b);
    assert.equal(tf.getBackend(), b);
  }
});

test('auto activates the first backend that loads, in preference order', async () => {
  const chosen = await selectTfjsBackend('auto');
  assert.ok(TFJS_BACKENDS.includes(chosen));
  assert.equal(tf.getBackend(), tfName(chosen));
  // everything before the chosen one must fail to load when forced
  for (const b of TFJS_BACKENDS.slice(0, TFJS_BACKENDS.indexOf(chosen))) {
    await assert.rejects(
      selectTfjsBackend(b),
      (e: unknown) => e instanceof UserError && e.message.startsWith(`--backend ${b}: cannot load it`),
    );
  }
});
