// The frozen vocabularies `dlrm preprocess` saved (one file per categorical table: the keys in index order,
// little-endian, uint32 or, for 64-bit tables (keyBits 64: hashed strings), uint64; docs/FORMAT.md), loaded
// into typed-array hash tables to map the keys of new rows (a parser's TableKeys) to embedding indices
// exactly as preprocessing did: a key in the file gets its position; any other key (never seen, or with
// --min-frequency seen too rarely to get its own row) gets the table's manifest oovIndex.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../dataset/manifest';
import { U32HashTable } from '../preprocess/hashTable';
import { U64HashTable } from '../preprocess/u64HashTable';
import type { TableKeys } from '../rawformat/rowParser';
import { UserError } from '../util/errors';
import { openForReading } from '../util/paths';

interface TableLookup {
  name: string;
  /** 32-bit tables: key -> index. */
  narrow?: U32HashTable;
  /** 64-bit tables: (hi, lo) -> index. */
  wide?: U64HashTable;
  oovIndex: number;
}

/** Largest single read (fs.read refuses 2 GiB and more). */
const READ_PIECE_BYTES = 1 << 30;

/** A vocabulary file read straight into a Uint32Array (`words` per key), refused unless it holds exactly `expected` keys. */
function readVocabularyFile(file: string, table: string, expected: number, words: 1 | 2, why: string): Uint32Array {
  let fd: number;
  try {
    fd = openForReading(file);
  } catch (err) {
    throw new UserError(
      `${file}: cannot read the vocabulary of table ${table} (${(err as NodeJS.ErrnoException).code ?? String(err)}); it is written by dlrm preprocess beside the manifest`,
    );
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== expected * 4 * words)
      throw new UserError(
        `${file}: ${size} bytes, expected ${expected} ${words === 2 ? 'uint64' : 'uint32'} values (${why}); the vocabulary does not belong to this manifest`,
      );
    const values = new Uint32Array(expected * words);
    const bytes = new Uint8Array(values.buffer);
    for (let done = 0; done < size;) {
      const n = fs.readSync(fd, bytes, done, Math.min(READ_PIECE_BYTES, size - done), done);
      if (n <= 0) throw new UserError(`${file}: ended early at byte ${done}`);
      done += n;
    }
    return values;
  } finally {
    fs.closeSync(fd);
  }
}

export class VocabularyLookup {
  private constructor(private readonly tables: TableLookup[]) {}

  /** Reads every table's vocabulary file (paths relative to `dir`, the manifest's folder), checking its length against the manifest. */
  static load(manifest: Manifest, dir: string): VocabularyLookup {
    const rare = manifest.options.minFrequency > 1;
    return new VocabularyLookup(
      manifest.tables.map((t) => {
        const file = path.join(dir, t.vocabFile);
        const expected = t.count - (rare ? 1 : 0);
        const wide = t.keyBits === 64;
        const raw = readVocabularyFile(
          file,
          t.name,
          expected,
          wide ? 2 : 1,
          rare
            ? `table ${t.name} has ${t.count} rows, the last the shared rare index`
            : `table ${t.name} has ${t.count} rows`,
        );
        if (!Number.isInteger(t.oovIndex) || t.oovIndex < 0 || t.oovIndex >= t.count)
          throw new UserError(`manifest table ${t.name}: oovIndex ${String(t.oovIndex)} is outside [0, ${t.count})`);
        if (wide) {
          const keys = new U64HashTable();
          for (let i = 0; i < expected; i++) keys.set(raw[2 * i + 1], raw[2 * i], i);
          return { name: t.name, wide: keys, oovIndex: t.oovIndex };
        }
        const keys = new U32HashTable(raw.length);
        for (let i = 0; i < raw.length; i++) keys.set(raw[i], i);
        return { name: t.name, narrow: keys, oovIndex: t.oovIndex };
      }),
    );
  }

  /** Number of tables. */
  get numTables(): number {
    return this.tables.length;
  }

  /** The embedding indices of table t's keys (TableKeys.lo/hi [n]) into out [n] (unknown keys: oovIndex). */
  lookup(t: number, keys: TableKeys, n: number, out: Uint32Array): void {
    const { narrow, wide, oovIndex } = this.tables[t];
    const lo = keys.lo,
      hi = keys.hi;
    for (let i = 0; i < n; i++) {
      const idx = wide ? wide.get(hi ? hi[i] : 0, lo[i]) : (narrow as U32HashTable).get(lo[i]);
      out[i] = idx < 0 ? oovIndex : idx;
    }
  }
}
