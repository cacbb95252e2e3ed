// Every parameter and optimizer-state float of a model in one fixed order, for bitwise comparisons of
// checkpoints and resumed runs.
import type { DlrmParams } from '../../src/model/params';
import type { OptimizerState } from '../../src/model/optimizerState';

export function modelFloats(p: DlrmParams, s: OptimizerState): Float32Array {
  const parts: Float32Array[] = [];
  for (const l of [...p.bottom, ...p.top, ...(p.cross ?? [])]) parts.push(l.weight, l.bias);
  for (const t of p.tables) parts.push(...t.chunks);
  for (const c of p.compressed ?? [])
    if (c) parts.push(...c.tables.flatMap((t) => t.chunks), ...(c.projection ? [c.projection] : []));
  for (const l of [...s.bottom, ...s.top, ...(s.cross ?? [])]) parts.push(l.weight, l.bias);
  for (const t of s.tables) parts.push(...t);
  for (const c of s.compressed ?? []) if (c) parts.push(...c.tables.flat(), ...(c.projection ? [c.projection] : []));
  const out = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of parts) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
