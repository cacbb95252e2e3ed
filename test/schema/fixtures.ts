// A small hand-written click log in a user's own shape: a header, a label named "click", a date column
// (the date split), a float price (standardize, some empty), a string country (one quoted value with the
// delimiter inside), a string user id, and a multi-hot "tags" list ('|', sometimes empty), as CSV. Plus
// its schema and the CLI runner used by the schema tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Rng } from '../../src/util/random';
import { repoRoot } from '../helpers/sharedData';

export interface LogRow {
  click: number;
  day: string;
  price: string;
  country: string;
  user: string;
  tags: string[];
}

const COUNTRIES = ['fr', 'de', 'us', 'jp', 'Paris, FR'];
const TAGS = ['sports', 'news', 'tech', 'music', 'games', 'food'];

/** `n` rows over 6 days (the last one, 2024-01-06, and later is the holdout), seeded. */
export function logRows(n: number, seed: number): LogRow[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const country = COUNTRIES[rng.nextInt(COUNTRIES.length)];
    const tags = TAGS.filter(() => rng.next() < 0.3);
    const signal = country === 'fr' || tags.includes('tech');
    return {
      click: rng.next() < (signal ? 0.8 : 0.1) ? 1 : 0,
      day: `2024-01-0${1 + Math.floor((6 * i) / n)}`,
      price: rng.next() < 0.1 ? '' : (rng.next() * 100).toFixed(2),
      country,
      user: `user-${rng.nextInt(40)}`,
      tags,
    };
  });
}

/** The rows as CSV with a header (the country with a comma is quoted). */
export function logCsv(rows: LogRow[], withLabel = true): string {
  const head = withLabel ? 'click,day,price,country,user,tags' : 'day,price,country,user,tags';
  const lines = rows.map((r) => {
    const country = r.country.includes(',') ? `"${r.country}"` : r.country;
    return [...(withLabel ? [String(r.click)] : []), r.day, r.price, country, r.user, r.tags.join('|')].join(',');
  });
  return [head, ...lines].join('\n') + '\n';
}

export const LOG_SCHEMA = {
  delimiter: ',',
  header: true,
  quoted: true,
  columns: ['click', 'day', 'price', 'country', 'user', 'tags'],
  label: { name: 'click' },
  dense: [{ name: 'price', transform: 'standardize' }],
  categorical: [
    { name: 'country', encoding: 'string' },
    { name: 'user', encoding: 'string' },
    { name: 'tags', encoding: 'string', multiHotSeparator: '|' },
  ],
  split: { by: 'date', column: 'day', test: '2024-01-06' },
};

export function writeJson(file: string, value: unknown): string {
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}

/** Runs the built CLI; returns its exit status and output. */
export function dlrm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args, '--log-level', 'warn'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
