// The engine interface: how a training step runs on a batch, whatever computes it (TensorFlow.js on a GPU,
// wasm or cpu backend; the native N-API addon). The engine updates the host DlrmParams it was given (or
// keeps its own copy and writes it back in syncToHost), so checkpoints are engine-independent.
import type { Batch } from '../dataset/batch';
import type { DlrmArch, OptimizerName } from '../model/arch';
import type { LossConfig } from '../model/loss';

/** GEMM arithmetic of training steps: fp32, or bf16 products with fp32 accumulation and fp32 master weights (native engine, AVX512_BF16). */
export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** The refusal of bf16 on the tfjs engine (train config validation and createEngine). */
export const BF16_NATIVE_ONLY =
  '--precision bf16 runs on the native engine only: drop --engine tfjs / --backend (the tfjs engine computes in fp32)';

export interface EngineConfig extends LossConfig {
  arch: DlrmArch;
  optimizer: OptimizerName;
  /** Training steps' GEMM arithmetic (default fp32); predictions are always fp32. */
  precision?: Precision;
}

/** Gradients of the mean batch loss, in the layout of DlrmParams; embeddings as gradients of the pooled bags. */
export interface DlrmGradients {
  bottom: { weight: Float32Array; bias: Float32Array }[];
  top: { weight: Float32Array; bias: Float32Array }[];
  /** d(loss)/d(pooled bag output), [T][B*d]. */
  pooled: Float32Array[];
  /** dcn: the cross layers' gradients, as DlrmParams.cross (V's bias gradient empty). */
  cross?: { weight: Float32Array; bias: Float32Array }[];
}

export interface StepResult {
  /** Mean loss over the batch, before the update. */
  loss: number;
  /** Model outputs (probabilities) for the batch, before the update, [B]. */
  predictions: Float32Array;
}

export interface Engine {
  /** e.g. 'tfjs-node-gpu', 'tfjs-wasm', 'tfjs-cpu', 'native'. */
  readonly name: string;
  /** Forward, loss, backward and the optimizer update of every parameter with learning rate `lr`. */
  trainStep(batch: Batch, lr: number): Promise<StepResult>;
  /** Probabilities [B] for a batch, no update. */
  predict(batch: Batch): Promise<Float32Array>;
  /** Loss and gradients without an update (gradient checks, engine parity tests). */
  gradients(batch: Batch): Promise<{ loss: number; grads: DlrmGradients }>;
  /** Makes the host params and optimizer state current (for checkpoints). */
  syncToHost(): Promise<void>;
  dispose(): void;
}
