// Engine selection: 'tfjs' builds the TensorFlow.js engine on the requested (or first loadable) backend;
// 'native' is the C++ N-API engine (src/engine/native); 'auto' prefers tfjs on a GPU, then native, then tfjs.
import type { DlrmParams } from '../model/params';
import type { OptimizerState } from '../model/optimizerState';
import { UserError } from '../util/errors';
import type { Engine, EngineConfig } from './engine';
import type { TfjsBackendName } from './tfjs/backend';
import { TfjsEngine } from './tfjs/tfjsEngine';
import { loadNativeAddon, NATIVE_BUILD_HINT } from './native/nativeAddon';
import { NativeEngine } from './native/nativeEngine';
import { log } from '../util/log';

export type EngineKind = 'auto' | 'tfjs' | 'native';

export interface EngineOptions {
  engine: EngineKind;
  /** tfjs only: force a backend ('auto' or absent: tensorflow-gpu, tensorflow, wasm, cpu, first that loads). */
  backend?: TfjsBackendName | 'auto';
}

export async function createEngine(opts: EngineOptions, config: EngineConfig, params: DlrmParams, state: OptimizerState): Promise<Engine> {
  switch (opts.engine) {
    case 'native': {
      const { addon, reason } = loadNativeAddon();
      if (!addon) throw new UserError(`--engine native: ${NATIVE_BUILD_HINT} (${reason})`);
      return new NativeEngine(config, params, state, { addon });
    }
    case 'auto':
      return autoEngine(opts, config, params, state);
    case 'tfjs':
      return TfjsEngine.create(config, params, state, opts.backend);
  }
}

/** auto: tfjs on a GPU when tfjs-node-gpu loads, else the native engine when built, else tfjs (wasm, ...). */
async function autoEngine(opts: EngineOptions, config: EngineConfig, params: DlrmParams, state: OptimizerState): Promise<Engine> {
  if (opts.backend && opts.backend !== 'auto') return TfjsEngine.create(config, params, state, opts.backend);
  try {
    return await TfjsEngine.create(config, params, state, 'tensorflow-gpu');
  } catch {
    // no GPU backend: the CPU engines below
  }
  const { addon } = loadNativeAddon();
  if (addon) return new NativeEngine(config, params, state, { addon });
  log().info(NATIVE_BUILD_HINT);
  return TfjsEngine.create(config, params, state, 'auto');
}
