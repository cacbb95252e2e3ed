// Engine selection: 'tfjs' builds the TensorFlow.js engine on the requested (or first loadable) backend;
// 'native' is the C++ N-API engine; 'auto' currently means tfjs.
import type { DlrmParams } from '../model/params';
import type { OptimizerState } from '../model/optimizerState';
import { UserError } from '../util/errors';
import type { Engine, EngineConfig } from './engine';
import type { TfjsBackendName } from './tfjs/backend';
import { TfjsEngine } from './tfjs/tfjsEngine';

export type EngineKind = 'auto' | 'tfjs' | 'native';

export interface EngineOptions {
  engine: EngineKind;
  /** tfjs only: force a backend ('auto' or absent: tensorflow-gpu, tensorflow, wasm, cpu, first that loads). */
  backend?: TfjsBackendName | 'auto';
}

export async function createEngine(opts: EngineOptions, config: EngineConfig, params: DlrmParams, state: OptimizerState): Promise<Engine> {
  switch (opts.engine) {
    case 'native':
      // The native (C++ N-API) engine plugs in here.
      throw new UserError('--engine native: native engine not built');
    case 'auto':
    case 'tfjs':
      return TfjsEngine.create(config, params, state, opts.backend);
  }
}
