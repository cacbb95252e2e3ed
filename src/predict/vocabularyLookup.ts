// The vocabularies `dlrm preprocess` saved (one file per categorical table: the raw uint32 values in index
// order, little-endian; docs/FORMAT.md), loaded into typed-array hash tables to map the raw values of new
// rows to embedding indices exactly as preprocessing did: a value in the file gets its position; any other
// value (never seen, or with --min-frequency seen too rarely to get its own row) gets the table's
// manifest oovIndex.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest } from '../dataset/manifest';
import { U32HashTable } from '../preprocess/hashTable';
import { UserError } from '../util/errors';
import { openForReading } from '../util/paths';

interface TableLookup {
  name: string;
  values: U32HashTable;
  oovIndex: number;
}

/** Largest single read (fs.read refuses 2 GiB and more). */
const READ_PIECE_BYTES = 1 << 30;

/** A vocabulary file read straight into a Uint32Array, refused unless it holds exactly `expected` values. */
function readVocabularyFile(file: string, table: string, expected: number, why: string): Uint32Array {
  let fd: number;
  try {
    fd = openForReading(file);
  } catch (err) {
    throw new UserError(`${file}: cannot read the vocabulary of table ${table} (${(err as NodeJS.ErrnoException).code ?? String(err)}); it is written by dlrm preprocess beside the manifest`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== expected * 4) throw new UserError(`${file}: ${size} bytes, expected ${expected} uint32 values (${why}); the vocabulary does not belong to this manifest`);
    const values = new Uint32Array(expected);
    const bytes = new Uint8Array(values.buffer);
    for (let done = 0; done < size; ) {
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
        const raw = readVocabularyFile(file, t.name, expected, rare ? `table ${t.name} has ${t.count} rows, the last the shared rare index` : `table ${t.name} has ${t.count} rows`);
        if (!Number.isInteger(t.oovIndex) || t.oovIndex < 0 || t.oovIndex >= t.count) throw new UserError(`manifest table ${t.name}: oovIndex ${String(t.oovIndex)} is outside [0, ${t.count})`);
        const values = new U32HashTable(raw.length);
        for (let i = 0; i < raw.length; i++) values.set(raw[i], i);
        return { name: t.name, values, oovIndex: t.oovIndex };
      }),
    );
  }

  /** Number of tables. */
  get numTables(): number {
    return this.tables.length;
  }

  /** Replaces the raw values of table `t` in `values` by their embedding indices (unknown values: oovIndex). */
  mapInPlace(t: number, values: Uint32Array): void {
    const { values: table, oovIndex } = this.tables[t];
    for (let i = 0; i < values.length; i++) {
      const idx = table.get(values[i]);
      values[i] = idx < 0 ? oovIndex : idx;
    }
  }
}
