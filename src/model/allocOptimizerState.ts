// Allocation of the OptimizerState for given parameters (all accumulators start at 0):
//   sgd: no arrays; adagrad: one accumulator per element everywhere;
//   rowwise-adagrad: dense layers per element (as the reference), embeddings one per row, chunked like the table.
// A compressed feature's tables get the same as plain tables, its MD projection the dense layers' kind.
import type { OptimizerName } from './arch';
import type { LinearState, OptimizerState } from './optimizerState';
import type { DlrmParams, EmbeddingTableParams, LinearParams } from './params';

function linearState(layer: LinearParams, optimizer: OptimizerName): LinearState {
  if (optimizer === 'sgd') return { weight: new Float32Array(0), bias: new Float32Array(0) };
  return { weight: new Float32Array(layer.weight.length), bias: new Float32Array(layer.bias.length) };
}

function tableState(t: EmbeddingTableParams, optimizer: OptimizerName): Float32Array[] {
  if (optimizer === 'sgd') return [];
  if (optimizer === 'adagrad') return t.chunks.map((c) => new Float32Array(c.length));
  return t.chunks.map((c) => new Float32Array(c.length / t.dim));
}

export function allocOptimizerState(params: DlrmParams, optimizer: OptimizerName): OptimizerState {
  const state: OptimizerState = {
    name: optimizer,
    bottom: params.bottom.map((l) => linearState(l, optimizer)),
    top: params.top.map((l) => linearState(l, optimizer)),
    tables: params.tables.map((t) => tableState(t, optimizer)),
    ...(params.compressed
      ? {
          compressed: params.compressed.map(
            (c) =>
              c && {
                tables: c.tables.map((t) => tableState(t, optimizer)),
                ...(c.projection
                  ? { projection: new Float32Array(optimizer === 'sgd' ? 0 : c.projection.length) }
                  : {}),
              },
          ),
        }
      : {}),
  };
  if (params.cross) state.cross = params.cross.map((l) => linearState(l, optimizer));
  return state;
}
