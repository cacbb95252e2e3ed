// The `dot` interaction with an explicit gradient. With n = T+1 rows M = [x; e_1; ...; e_T] per sample
// (x [B,d] from the bottom MLP, pooled bags E [B,T,d]):
//   forward  Z = M M^T [B,n,n]; out = [x, Z(1,0), Z(2,0), Z(2,1), ..., Z(T,T-1)] [B, d + n(n-1)/2]
//            (interactionItself keeps the diagonal too: (0,0),(1,0),(1,1),... -> d + n(n+1)/2);
//   backward G [B,n,n] symmetric with G(i,j) = G(j,i) = d(out)/d(Z(i,j)) (2x on the diagonal), dM = G M.
// Only plain batched matMuls (the transpose is explicit) and forward gathers with constant indices: no
// gather is differentiated (wasm has no UnsortedSegmentSum).
import * as tf from '@tensorflow/tfjs-core';

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

  constructor(numTables: number, itself: boolean) {
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
    this.pairIndex = tf.tensor1d(Int32Array.from(pairs, ([i, j]) => i * n + j), 'int32');
    this.symmetricIndex = tf.tensor1d(sym, 'int32');
    this.diagonalScale = itself ? tf.tensor1d(scale) : undefined;
    this.apply = tf.customGrad<tf.Tensor2D>((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, pooled, save] = args as [tf.Tensor2D, tf.Tensor3D, tf.GradSaveFunc];
      const B = x.shape[0], d = x.shape[1];
      const m = tf.concat([tf.reshape(x, [B, 1, d]), pooled], 1) as tf.Tensor3D;
      const z = tf.matMul(m, tf.transpose(m, [0, 2, 1]));
      const out = tf.concat([x, tf.gather(tf.reshape(z, [B, n * n]), this.pairIndex, 1)], 1) as tf.Tensor2D;
      save([m]);
      return { value: out, gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => this.backward(dy, saved[0] as tf.Tensor3D) };
    }) as (x: tf.Tensor2D, pooled: tf.Tensor3D) => tf.Tensor2D;
  }

  private backward(dy: tf.Tensor2D, m: tf.Tensor3D): tf.Tensor[] {
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
