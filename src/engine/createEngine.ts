// Engine selection: 'tfjs' builds the TensorFlow.js engine on the requested (or first loadable) backend;
// 'native' is the C++ N-API engine (src/engine/native); 'auto' prefers tfjs on a GPU, then native, then tfjs.
// Precision bf16 (config.precision) runs on the native engine only, on a CPU with AVX512_BF16: 'auto' then
// means native, and anything else is a UserError naming the reason.
import type { DlrmParams } from '../model/params';
import type { OptimizerState } from '../model/optimizerState';
import { UserError } from '../util/errors';
import { BF16_NATIVE_ONLY, type Engine, type EngineConfig } from './engine';
import type { TfjsBackendName } from './tfjs/backend';
import { TfjsEngine } from './tfjs/tfjsEngine';
import { bf16Unavailable, loadNativeAddon, NATIVE_BUILD_HINT } from './native/nativeAddon';
import { NativeEngine } from './native/nativeEngine';
import { log } from '../util/log';

export type EngineKind = 'auto' | 'tfjs' | 'native';

export interface EngineOptions {
  engine: EngineKind;
  /** tfjs only: force a backend ('auto' or absent: tensorflow-gpu, tensorflow, wasm, cpu, first that loads). */
  backend?: TfjsBackendName | 'auto';
}

export async function createEngine(
  opts: EngineOptions,
  config: EngineConfig,
  params: DlrmParams,
  state: OptimizerState,
): Promise<Engine> {
  if (config.precision === 'bf16') return bf16Engine(opts, config, params, state);
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
async function autoEngine(
  opts: EngineOptions,
  config: EngineConfig,
  params: DlrmParams,
  state: OptimizerState,
): Promise<Engine> {
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

/** --precision bf16: the native engine on a CPU with AVX512_BF16, else a UserError saying why. */
function bf16Engine(opts: EngineOptions, config: EngineConfig, params: DlrmParams, state: OptimizerState): Engine {
  if (opts.engine === 'tfjs' || (opts.backend && opts.backend !== 'auto')) {
    throw new UserError(BF16_NATIVE_ONLY);
  }
  const { addon, reason } = loadNativeAddon();
  if (!addon) throw new UserError(`--precision bf16 needs the native engine: ${NATIVE_BUILD_HINT} (${reason})`);
  const why = bf16Unavailable(addon);
  if (why) throw new UserError(`--precision bf16: ${why}; train with --precision fp32`);
  return new NativeEngine(config, params, state, { addon });
}
