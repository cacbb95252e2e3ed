// The `dot` interaction with an explicit gradient. With n = T+1 rows M = [x; e_1; ...; e_T] per sample
// (x [B,d] from the bottom MLP, pooled bags E [B,T,d]):
//   forward  Z = M M^T [B,n,n]; out = [x, Z(1,0), Z(2,0), Z(2,1), ..., Z(T,T-1)] [B, d + n(n-1)/2]
//            (interactionItself keeps the diagonal too: (0,0),(1,0),(1,1),... -> d + n(n+1)/2);
//   backward G [B,n,n] symmetric with G(i,j) = G(j,i) = d(out)/d(Z(i,j)) (2x on the diagonal), dM = G M.
// Two implementations of the same customGrad:
//   'tensor': plain batched matMuls (explicit transpose) and forward gathers with constant indices (no gather
//             is differentiated: wasm has no UnsortedSegmentSum); for the tensorflow (node, GPU) backends.
//   'host':   the JS kernels of src/model/dotInteraction.ts on downloaded data; for the cpu and wasm
//             backends, whose batched matMul of 27x16 matrices and GatherV2 are many times slower.
import * as tf from '@tensorflow/tfjs-core';
import { dotInteractionBackward, dotInteractionForward } from '../../model/dotInteraction';

export type DotInteractionStrategy = 'tensor' | 'host';

/** The faster strategy for a tfjs backend name (tf.getBackend()). */
export function dotStrategyFor(tfBackend: string): DotInteractionStrategy {
  return tfBackend === 'cpu' || tfBackend === 'wasm' ? 'host' : 'tensor';
}

/** The (i, j) pairs of the interaction output, in order. */
export function interactionPairs(n: number, itself: boolean): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < (itself ? i + 1 : i); j++) pairs.push([i, j]);
  return pairs;
}

export class DotInteraction {
  readonly numPairs: number;
  private readonly pairIndex: tf.Tensor1D;
  private readonly symmetricIndex: tf.Tensor1D;
  private readonly diagonalScale: tf.Tensor1D | undefined;
  readonly apply: (x: tf.Tensor2D, pooled: tf.Tensor3D) => tf.Tensor2D;

  constructor(
    numTables: number,
    itself: boolean,
    readonly strategy: DotInteractionStrategy,
  ) {
    const n = numTables + 1;
    const pairs = interactionPairs(n, itself);
    const P = (this.numPairs = pairs.length);
    const sym = new Int32Array(n * n).fill(P); // P = index of an appended zero column
    const scale = new Float32Array(n * n).fill(1);
    pairs.forEach(([i, j], p) => {
      sym[i * n + j] = p;
      sym[j * n + i] = p;
      if (i === j) scale[i * n + i] = 2;
    });
    this.pairIndex = tf.tensor1d(
      Int32Array.from(pairs, ([i, j]) => i * n + j),
      'int32',
    );
    this.symmetricIndex = tf.tensor1d(sym, 'int32');
    this.diagonalScale = itself ? tf.tensor1d(scale) : undefined;
    this.apply = strategy === 'host' ? this.hostApply(numTables, itself) : this.tensorApply(n);
  }

  private tensorApply(n: number): (x: tf.Tensor2D, pooled: tf.Tensor3D) => tf.Tensor2D {
    return tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, pooled, save] = args as [tf.Tensor2D, tf.Tensor3D, tf.GradSaveFunc];
      const B = x.shape[0],
        d = x.shape[1];
      const m = tf.concat<tf.Tensor3D>([tf.reshape(x, [B, 1, d]), pooled], 1);
      const z = tf.matMul(m, tf.transpose(m, [0, 2, 1]));
      const out = tf.concat([x, tf.gather(tf.reshape(z, [B, n * n]), this.pairIndex, 1)], 1) as tf.Tensor2D;
      save([m]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => this.tensorBackward(dy, saved[0] as tf.Tensor3D),
      };
    });
  }

  private hostApply(T: number, itself: boolean): (x: tf.Tensor2D, pooled: tf.Tensor3D) => tf.Tensor2D {
    return tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, pooled, save] = args as [tf.Tensor2D, tf.Tensor3D, tf.GradSaveFunc];
      const [B, d] = x.shape;
      const xs = x.dataSync() as Float32Array,
        ps = pooled.dataSync() as Float32Array;
      const out = new Float32Array(B * (d + this.numPairs));
      dotInteractionForward(xs, ps, B, T, d, itself, out);
      save([x, pooled]);
      return {
        value: tf.tensor2d(out, [B, d + this.numPairs]),
        gradFunc: (dy: tf.Tensor2D) => {
          const dx = new Float32Array(B * d),
            dPooled = new Float32Array(B * T * d);
          dotInteractionBackward(xs, ps, dy.dataSync() as Float32Array, B, T, d, itself, dx, dPooled);
          return [tf.tensor2d(dx, [B, d]), tf.tensor3d(dPooled, [B, T, d])];
        },
      };
    });
  }

  private tensorBackward(dy: tf.Tensor2D, m: tf.Tensor3D): tf.Tensor[] {
    const [B, n, d] = m.shape;
    const dPairs = tf.slice(dy, [0, d], [B, this.numPairs]);
    let g = tf.gather(tf.concat([dPairs, tf.zeros([B, 1])], 1), this.symmetricIndex, 1);
    if (this.diagonalScale) g = tf.mul(g, this.diagonalScale);
    const dm = tf.matMul(tf.reshape(g, [B, n, n]), m);
    const dx = tf.add(tf.slice(dy, [0, 0], [B, d]), tf.reshape(tf.slice(dm, [0, 0, 0], [B, 1, d]), [B, d]));
    return [dx, tf.slice(dm, [0, 1, 0], [B, n - 1, d])];
  }

  dispose(): void {
    this.pairIndex.dispose();
    this.symmetricIndex.dispose();
    this.diagonalScale?.dispose();
  }
}
