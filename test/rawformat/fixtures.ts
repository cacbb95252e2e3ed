// A seeded click log written twice: as Parquet (hyparquet-writer: nulls, a dictionary-encoded string
// column, int64/int32/float/double/bool/timestamp columns and a list<string> column, in several row groups)
// and as its CSV twin (the same rows as the text a user's CSV export would hold: the timestamp's UTC day,
// bool 0/1, null as an empty field, the list joined by '|'), plus the schema both are read with.
import * as fs from 'node:fs';
import { Rng } from '../../src/util/random';

export interface ClickRow {
  ts: Date;
  click: boolean;
  price: number | null;
  qty: number;
  score: number | null;
  country: string | null;
  userId: bigint | null;
  tags: string[] | null;
}

const COUNTRIES = ['fr', 'de', 'us', 'jp', 'Paris, FR', 'Zürich'];
const TAGS = ['sports', 'news', 'tech', 'music', 'games', 'food'];

/** `n` rows over 6 days (2024-01-01..06, in order), seeded; about 10% nulls in the nullable columns. */
export function clickRows(n: number, seed: number): ClickRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const country = rng.next() < 0.1 ? null : COUNTRIES[rng.nextInt(COUNTRIES.length)];
    const tags = rng.next() < 0.1 ? null : TAGS.filter(() => rng.next() < 0.3);
    const signal = country === 'fr' || (tags ?? []).includes('tech');
    return {
      ts: new Date(Date.UTC(2024, 0, 1 + Math.floor((6 * i) / n), rng.nextInt(24), rng.nextInt(60))),
      click: rng.next() < (signal ? 0.8 : 0.1),
      price: rng.next() < 0.1 ? null : Math.round(rng.next() * 10000) / 100,
      qty: rng.nextInt(50),
      // eighths are exact in float32, so the CSV text and the FLOAT column hold the same value
      score: rng.next() < 0.1 ? null : (rng.nextInt(64) - 32) / 8,
      country,
      userId: rng.next() < 0.05 ? null : BigInt(rng.nextInt(300)) * 1000003n,
      tags,
    };
  });
}

export const CLICK_COLUMNS = ['ts', 'click', 'price', 'qty', 'score', 'country', 'user_id', 'tags'];

/** The schema both files are read with (the CSV's delimiter, header and quoting; Parquet ignores them). */
export const CLICK_SCHEMA = {
  delimiter: ',',
  header: true,
  quoted: true,
  columns: CLICK_COLUMNS,
  label: { name: 'click' },
  dense: [
    { name: 'price', transform: 'standardize' },
    { name: 'qty', transform: 'log1p' },
    { name: 'score', transform: 'none' },
  ],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'user_id', encoding: 'decimal' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
  split: { by: 'date', column: 'ts', test: '2024-01-06' },
};

const utcDay = (d: Date): string => d.toISOString().slice(0, 10);
const csvField = (s: string): string => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The rows as CSV with a header; `withLabel` false drops the click column. */
export function clickCsv(rows: ClickRow[], withLabel = true): string {
  const names = CLICK_COLUMNS.filter((c) => withLabel || c !== 'click');
  const lines = rows.map((r) => {
    const fields: Record<string, string> = {
      ts: utcDay(r.ts),
      click: r.click ? '1' : '0',
      price: r.price === null ? '' : r.price.toFixed(2),
      qty: String(r.qty),
      score: r.score === null ? '' : String(r.score),
      country: r.country === null ? '' : csvField(r.country),
      user_id: r.userId === null ? '' : String(r.userId),
      tags: (r.tags ?? []).join('|'),
    };
    return names.map((c) => fields[c]).join(',');
  });
  return [names.join(','), ...lines].join('\n') + '\n';
}

/** Writes the rows as Parquet (`rowGroupSize` rows per row group); `withLabel` false drops the click column, `drop` others. */
export async function writeClickParquet(
  file: string,
  rows: ClickRow[],
  rowGroupSize: number,
  withLabel = true,
  drop: string[] = [],
): Promise<void> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const columns = [
    { name: 'ts', data: rows.map((r) => r.ts), element: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' } },
    { name: 'click', data: rows.map((r) => r.click), element: { type: 'BOOLEAN' } },
    { name: 'price', data: rows.map((r) => r.price), element: { type: 'DOUBLE' } },
    { name: 'qty', data: Int32Array.from(rows, (r) => r.qty), element: { type: 'INT32' } },
    { name: 'score', data: rows.map((r) => r.score), element: { type: 'FLOAT' } },
    {
      name: 'country',
      data: rows.map((r) => r.country),
      element: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      encoding: 'RLE_DICTIONARY',
    },
    { name: 'user_id', data: rows.map((r) => r.userId), element: { type: 'INT64' } },
  ].filter((c) => (withLabel || c.name !== 'click') && !drop.includes(c.name));
  const schema = [
    { name: 'root', num_children: columns.length + 1 },
    ...columns.map((c) => ({ name: c.name, repetition_type: 'OPTIONAL', ...c.element })),
    { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
  const columnData = [
    ...columns.map((c) => ({ name: c.name, data: c.data, ...(c.encoding ? { encoding: c.encoding } : {}) })),
    { name: 'tags', data: rows.map((r) => r.tags) },
  ];
  const buffer = parquetWriteBuffer({ columnData, schema, rowGroupSize } as unknown as Parameters<
    typeof parquetWriteBuffer
  >[0]);
  fs.writeFileSync(file, new Uint8Array(buffer));
}
