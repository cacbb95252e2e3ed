// Allocation of the OptimizerState for given parameters (all accumulators start at 0):
//   sgd: no arrays; adagrad: one accumulator per element everywhere;
//   rowwise-adagrad: dense layers per element (as the reference), embeddings one per row, chunked like the table.
import type { OptimizerName } from './arch';
import type { LinearState, OptimizerState } from './optimizerState';
import type { DlrmParams, LinearParams } from './params';

function linearState(layer: LinearParams, optimizer: OptimizerName): LinearState {
  if (optimizer === 'sgd') return { weight: new Float32Array(0), bias: new Float32Array(0) };
  return { weight: new Float32Array(layer.weight.length), bias: new Float32Array(layer.bias.length) };
}

export function allocOptimizerState(params: DlrmParams, optimizer: OptimizerName): OptimizerState {
  const state: OptimizerState = {
    name: optimizer,
    bottom: params.bottom.map((l) => linearState(l, optimizer)),
    top: params.top.map((l) => linearState(l, optimizer)),
    tables: params.tables.map((t) => {
      if (optimizer === 'sgd') return [];
      if (optimizer === 'adagrad') return t.chunks.map((c) => new Float32Array(c.length));
      return t.chunks.map((c) => new Float32Array(c.length / t.dim));
    }),
  };
  if (params.cross) state.cross = params.cross.map((l) => linearState(l, optimizer));
  return state;
}
