// TensorFlow.js backend selection. Order for 'auto': tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA),
// tensorflow (@tensorflow/tfjs-node, libtensorflow on the CPU), wasm (@tensorflow/tfjs-backend-wasm,
// XNNPACK), cpu (@tensorflow/tfjs-backend-cpu, pure JS). A package may be installed without its native
// binding, so each is required inside try/catch and then activated with tf.setBackend + tf.ready; a
// forced backend that cannot load is a UserError carrying the load error.
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../util/errors';
import { log } from '../../util/log';

export const TFJS_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

/** The engine name reported for each backend. */
export const TFJS_ENGINE_NAMES: Record<TfjsBackendName, string> = {
  'tensorflow-gpu': 'tfjs-node-gpu',
  tensorflow: 'tfjs-node',
  wasm: 'tfjs-wasm',
  cpu: 'tfjs-cpu',
};

/** Requires a package that registers a backend in our @tensorflow/tfjs-core, then activates it. */
async function activate(backend: string, load: () => void): Promise<void> {
  load();
  if (!tf.findBackendFactory(backend)) {
    throw new Error(
      `backend '${backend}' did not register with this @tensorflow/tfjs-core ${tf.version_core} (version mismatch?)`,
    );
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed to initialise`);
  await tf.ready();
}

/** Number of wasm threads to ask for (only used when the wasm build supports threads). */
export function wasmThreadCount(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

async function load(name: TfjsBackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      return activate('tensorflow', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@tensorflow/tfjs-node-gpu'); // registers the backend
      });
    case 'tensorflow':
      return activate('tensorflow', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@tensorflow/tfjs-node'); // registers the backend
      });
    case 'wasm':
      return activate('wasm', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
        const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        wasm.setWasmPaths(dist + path.sep);
        wasm.setThreadsCount(wasmThreadCount());
      });
    case 'cpu':
      return activate('cpu', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@tensorflow/tfjs-backend-cpu'); // registers the backend
      });
  }
}

/** Details logged once the backend runs. */
function describe(name: TfjsBackendName): Record<string, unknown> {
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu runs on the CPU when libtensorflow finds no CUDA device; its backend says which
    const gpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (gpu === false) log().warn('@tensorflow/tfjs-node-gpu loaded but found no CUDA device: running on the CPU');
    return { gpu };
  }
  if (name !== 'wasm') return {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: wasm.getThreadsCount() };
}

/**
 * Activates `forced` (failing with a UserError if it cannot load) or the first backend of TFJS_BACKENDS
 * that loads, logs which one runs and returns its name.
 */
export async function selectTfjsBackend(forced?: TfjsBackendName | 'auto'): Promise<TfjsBackendName> {
  tf.enableProdMode(); // no debug checks, and no "install tfjs-node" banner on the cpu backend
  const candidates = forced && forced !== 'auto' ? [forced] : TFJS_BACKENDS;
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      await load(name);
      log().info({ backend: name, tfjs: tf.version_core, ...describe(name) }, `TensorFlow.js backend: ${name}`);
      return name;
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
      failures.push(`${name}: ${reason}`);
      log().debug({ backend: name, reason }, 'TensorFlow.js backend did not load');
    }
  }
  if (forced && forced !== 'auto') throw new UserError(`--backend ${forced}: cannot load it (${failures[0]})`);
  throw new UserError(`no TensorFlow.js backend could be loaded (${failures.join('; ')})`);
}
