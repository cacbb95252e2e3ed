// Builds and validates a DlrmArch from command-line style flags. The top MLP's input width is DERIVED
// from the interaction: dot over T tables of dim d gives d + T(T+1)/2 (+ T+1 with the diagonal), cat and dcn
// give d(T+1) (as does --model dcn, whose x_0 is the cat output). Every inconsistency is a UserError naming the flag and the bad value.
import { UserError } from '../util/errors';
import type { DcnShape, DeepCrossShape, DlrmArch, EmbeddingCompression, InteractionOp } from './arch';
import { checkCompression } from '../embedding/compressedLayout';

export interface ArchFlags {
  /** --arch-mlp-bot, including the dense input width and the output d, e.g. [13, 512, 256, 64, 16]. */
  mlpBot: number[];
  /** --arch-mlp-top WITHOUT its input width (derived), e.g. [512, 256, 1]. */
  mlpTop: number[];
  /** --arch-sparse-feature-size d; defaults to the last bottom width. */
  sparseFeatureSize?: number;
  /** Rows of each embedding table (from the manifest or --max-ind-range folding). */
  tableSizes: readonly number[];
  /** Number of dense features in the data (checked against the first bottom width when given). */
  numDense?: number;
  interaction: InteractionOp;
  interactionItself: boolean;
  /** dcn: --dcn-num-layers and --dcn-low-rank-dim (required with dcn, ignored otherwise). */
  dcn?: DcnShape;
  /** --qr-* / --md-* (absent: plain tables). */
  compression?: EmbeddingCompression;
  /** --model dcn: the original DCN (interaction must then be 'cat', its x_0; src/model/deepCross.ts). */
  deepCross?: DeepCrossShape;
}

export const INTERACTION_OPS: readonly InteractionOp[] = ['dot', 'cat', 'dcn'];

/** Width of the interaction output (= top MLP input) for T tables of dimension d. */
export function interactionOutputWidth(op: InteractionOp, itself: boolean, numTables: number, dim: number): number {
  const n = numTables + 1;
  if (op === 'cat' || op === 'dcn') return dim * n;
  return dim + (itself ? (n * (n + 1)) / 2 : (n * (n - 1)) / 2);
}

function positiveInts(flag: string, widths: readonly number[]): void {
  if (widths.length === 0) throw new UserError(`${flag}: empty layer list`);
  for (const w of widths) {
    if (!Number.isSafeInteger(w) || w <= 0)
      throw new UserError(`${flag}: width '${w}' is not a positive integer (in '${widths.join('-')}')`);
  }
}

/** Validates the flags and returns the architecture (with the derived top input width prepended). */
export function buildDlrmArch(flags: ArchFlags): DlrmArch {
  positiveInts('--arch-mlp-bot', flags.mlpBot);
  positiveInts('--arch-mlp-top', flags.mlpTop);
  const bot = flags.mlpBot.join('-');
  if (flags.mlpBot.length < 2)
    throw new UserError(`--arch-mlp-bot: '${bot}' needs at least an input and an output width`);
  const botOut = flags.mlpBot[flags.mlpBot.length - 1];
  // QR concat: --arch-sparse-feature-size is each half's width, the bottom MLP ends in twice it (as the reference)
  const concat = flags.compression?.qr?.operation === 'concat';
  if (concat && flags.sparseFeatureSize !== undefined && 2 * flags.sparseFeatureSize !== botOut) {
    throw new UserError(
      `--arch-mlp-bot: the last width ${botOut} (in '${bot}') must be twice --arch-sparse-feature-size ${flags.sparseFeatureSize} with --qr-operation concat`,
    );
  }
  const dim = concat ? botOut : (flags.sparseFeatureSize ?? botOut);
  if (!Number.isSafeInteger(dim) || dim <= 0)
    throw new UserError(`--arch-sparse-feature-size: '${dim}' is not a positive integer`);
  if (botOut !== dim) {
    throw new UserError(
      `--arch-mlp-bot: the last width ${botOut} (in '${bot}') must equal --arch-sparse-feature-size ${dim}`,
    );
  }
  if (flags.numDense !== undefined && flags.mlpBot[0] !== flags.numDense) {
    throw new UserError(
      `--arch-mlp-bot: the first width ${flags.mlpBot[0]} (in '${bot}') must equal the number of dense features ${flags.numDense}`,
    );
  }
  const topOut = flags.mlpTop[flags.mlpTop.length - 1];
  if (topOut !== 1)
    throw new UserError(
      `--arch-mlp-top: the last width ${topOut} (in '${flags.mlpTop.join('-')}') must be 1 (one click probability)`,
    );
  if (flags.tableSizes.length === 0)
    throw new UserError('the model needs at least one categorical feature (embedding table)');
  flags.tableSizes.forEach((n, t) => {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new UserError(`embedding table ${t}: size '${n}' is not a positive integer`);
  });
  if (!INTERACTION_OPS.includes(flags.interaction)) {
    throw new UserError(
      `--arch-interaction-op: '${String(flags.interaction)}' is not one of ${INTERACTION_OPS.join(', ')}`,
    );
  }
  if (flags.compression) checkCompression(flags.compression, dim);
  const topIn = interactionOutputWidth(flags.interaction, flags.interactionItself, flags.tableSizes.length, dim);
  const arch: DlrmArch = {
    mlpBot: [...flags.mlpBot],
    mlpTop: [topIn, ...flags.mlpTop],
    tableSizes: [...flags.tableSizes],
    embeddingDim: dim,
    interaction: flags.interaction,
    interactionItself: flags.interaction === 'dot' && flags.interactionItself,
    ...(flags.compression ? { compression: flags.compression } : {}),
  };
  if (flags.interaction === 'dcn') arch.dcn = checkDcnShape(flags.dcn);
  if (flags.deepCross) arch.deepCross = checkDeepCross(flags);
  return arch;
}

/** --model dcn: --dcn-cross-layers a positive integer, x_0 by concatenation, at least one deep layer. */
function checkDeepCross(flags: ArchFlags): DeepCrossShape {
  const L = flags.deepCross?.crossLayers ?? 0;
  if (!Number.isSafeInteger(L) || L <= 0) throw new UserError(`--dcn-cross-layers: '${L}' is not a positive integer`);
  if (flags.interaction !== 'cat') {
    throw new UserError(
      `--model dcn has its own cross network over x_0 = [bottom MLP output, embeddings]: --arch-interaction-op ${flags.interaction} applies to --model dlrm only`,
    );
  }
  if (flags.mlpTop.length < 2) {
    throw new UserError(
      `--arch-mlp-top: '${flags.mlpTop.join('-')}' needs a deep layer before the output 1 with --model dcn (e.g. 512-256-1)`,
    );
  }
  return { crossLayers: L };
}

/** --dcn-num-layers and --dcn-low-rank-dim: positive integers. */
function checkDcnShape(dcn: DcnShape | undefined): DcnShape {
  if (!dcn) throw new UserError('--arch-interaction-op dcn needs --dcn-num-layers and --dcn-low-rank-dim');
  const check = (flag: string, v: number) => {
    if (!Number.isSafeInteger(v) || v <= 0) throw new UserError(`${flag}: '${v}' is not a positive integer`);
  };
  check('--dcn-num-layers', dcn.numLayers);
  check('--dcn-low-rank-dim', dcn.lowRankDim);
  return { numLayers: dcn.numLayers, lowRankDim: dcn.lowRankDim };
}

/** Checks an already built DlrmArch (e.g. read from a checkpoint) for internal consistency. */
export function validateDlrmArch(arch: DlrmArch): void {
  const rebuilt = buildDlrmArch({
    mlpBot: arch.mlpBot,
    mlpTop: arch.mlpTop.slice(1),
    sparseFeatureSize: arch.compression?.qr?.operation === 'concat' ? undefined : arch.embeddingDim,
    tableSizes: arch.tableSizes,
    interaction: arch.interaction,
    interactionItself: arch.interactionItself,
    dcn: arch.dcn,
    compression: arch.compression,
    deepCross: arch.deepCross,
  });
  if (rebuilt.mlpTop[0] !== arch.mlpTop[0]) {
    throw new UserError(
      `top MLP input width ${arch.mlpTop[0]} does not match the ${arch.interaction} interaction's output width ${rebuilt.mlpTop[0]}`,
    );
  }
}
