// Test fixtures for preprocessing: Criteo-shaped raw lines from a seeded Rng (missing values, negative I2,
// repeated categories, short hex values), and an independent, deliberately naive re-implementation of the
// reference semantics (string splitting, Map vocabularies) that the pipeline's outputs are compared with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/util/random';
import { ProcessedFileReader } from '../../src/dataset/processedFile';

/** n Criteo-shaped lines (40 TAB fields, '\n'-terminated). */
export function criteoLines(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f: string[] = [rng.next() < 0.3 ? '1' : '0'];
    for (let k = 0; k < 13; k++) {
      const u = rng.next();
      f.push(
        u < 0.1
          ? ''
          : k === 1 && u < 0.2
            ? String(-rng.nextInt(3))
            : u > 0.99
              ? String(rng.nextInt(2_000_000))
              : String(rng.nextInt(200)),
      );
    }
    for (let t = 0; t < 26; t++) {
      const u = rng.next();
      const card = 3 + t * 7;
      f.push(
        u < 0.08
          ? ''
          : u > 0.97
            ? rng.nextUint32().toString(16)
            : ((rng.nextInt(card) * 2654435761) >>> 0).toString(16).padStart(8, '0'),
      );
    }
    out.push(f.join('\t'));
  }
  return out;
}

export interface ReferenceOptions {
  maxIndRange?: number;
  /** Applied by the caller's keep() (the pipeline's draw), so the reference only filters. */
  keep?: (day: number, lineInDay: number, label: number) => boolean;
  minFrequency?: number;
}

export interface ReferenceDay {
  labels: number[];
  dense: number[][];
  indices: number[][]; // [table][row]
}

export interface ReferenceResult {
  days: ReferenceDay[];
  vocab: number[][]; // per table: raw value of each index (frequent values only with min-frequency)
  counts: number[];
}

/** The reference semantics on days of lines, naively: split, parse, Map first appearance. */
export function referencePreprocess(days: string[][], opts: ReferenceOptions = {}): ReferenceResult {
  const M = opts.maxIndRange ?? -1;
  const parsed = days.map((lines, d) =>
    lines
      .map((l, i) => ({ f: l.split('\t'), i }))
      .filter(({ f, i }) => (opts.keep ? opts.keep(d, i, Number(f[0])) : true))
      .map(({ f }) => ({
        label: Number(f[0]),
        dense: f.slice(1, 14).map((s) => Math.fround(Math.log(Math.fround(Math.max(0, Number(s || '0')) + 1)))),
        cats: f.slice(14).map((s) => {
          const v = parseInt(s || '0', 16);
          return M > 0 ? v % M : v;
        }),
      })),
  );
  const K = opts.minFrequency ?? 0;
  const freq = Array.from({ length: 26 }, () => new Map<number, number>());
  for (const rows of parsed) for (const r of rows) r.cats.forEach((v, t) => freq[t].set(v, (freq[t].get(v) ?? 0) + 1));
  const vocabMaps = Array.from({ length: 26 }, () => new Map<number, number>());
  const vocab: number[][] = Array.from({ length: 26 }, () => []);
  const frequentCount = freq.map((m) => [...m.values()].filter((c) => c >= K).length);
  const outDays = parsed.map((rows) => {
    const day: ReferenceDay = { labels: [], dense: [], indices: Array.from({ length: 26 }, () => []) };
    for (const r of rows) {
      day.labels.push(r.label);
      day.dense.push(r.dense);
      r.cats.forEach((v, t) => {
        let idx = vocabMaps[t].get(v);
        if (idx === undefined) {
          if (K > 1 && (freq[t].get(v) ?? 0) < K) idx = frequentCount[t];
          else {
            idx = vocab[t].length;
            vocab[t].push(v);
            vocabMaps[t].set(v, idx);
          }
        }
        day.indices[t].push(idx);
      });
    }
    return day;
  });
  return { days: outDays, vocab, counts: vocab.map((v) => v.length + (K > 1 ? 1 : 0)) };
}

/** Reads a whole processed file back as plain arrays. */
export function readProcessed(file: string): ReferenceDay & { metadata: unknown } {
  const r = ProcessedFileReader.open(file);
  try {
    const b = r.read(0, r.rows);
    const D = b.numDense;
    return {
      labels: [...b.labels],
      dense: Array.from({ length: b.size }, (_, i) => [...b.dense.subarray(i * D, (i + 1) * D)]),
      indices: b.sparse.map((bag) => {
        bag.offsets.forEach((o, i) => {
          if (o !== i) throw new Error('expected one index per bag');
        });
        return [...bag.indices];
      }),
      metadata: r.metadata,
    };
  } finally {
    r.close();
  }
}

/** A vocabulary file as numbers. */
export function readVocab(file: string): number[] {
  const b = fs.readFileSync(file);
  return [...new Uint32Array(b.buffer, b.byteOffset, b.length / 4)];
}

/** All output files of a preprocess run (the merged file `out` and everything in `out.parts/`) as name -> bytes. */
export function outputBytes(out: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>([['merged', fs.readFileSync(out)]]);
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else m.set(rel + e.name, fs.readFileSync(path.join(d, e.name)));
    }
  };
  walk(`${out}.parts`, '');
  return m;
}
