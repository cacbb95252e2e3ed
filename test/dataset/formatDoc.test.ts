// Runs the numpy reader printed in docs/FORMAT.md against a file written by ProcessedFileWriter, so the
// documented layout and the code cannot drift apart. Skips (with the reason) when python3/numpy is absent.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/util/random';
import { repoRoot, tempDir } from '../helpers/sharedData';
import { encodeProcessedFile, mixedRows, randomRows, writeRows, type Row } from './fixtures';

const dir = tempDir('format-doc');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const CHECK = `
import re, sys, json, numpy as np
doc = open(sys.argv[1]).read()
exec(re.search(r'\`\`\`python\\n(.*?)\`\`\`', doc, re.S).group(1))
rows = json.load(open(sys.argv[3]))
for a, b in [(0, len(rows)), (63, 65), (100, 377), (len(rows) - 1, len(rows)), (5, 5), (64, 128)]:
    labels, dense, bags = read_rows(sys.argv[2], a, b)
    exp = rows[a:b]
    assert labels.tolist() == [r['label'] for r in exp], ('labels', a, b)
    assert np.array_equal(dense, np.array([r['dense'] for r in exp], dtype=np.float32).reshape(-1, dense.shape[1])), ('dense', a, b)
    for t, (o, i) in enumerate(bags):
        assert [i[o[k]:o[k + 1]].tolist() for k in range(b - a)] == [r['bags'][t] for r in exp], ('bags', a, b, t)
print(json.dumps(metadata(sys.argv[2])))
`;

/** Reads rows of a file with one byte flipped: the snippet's checksum check must refuse it. */
const CHECK_DAMAGED = `
import re, sys
doc = open(sys.argv[1]).read()
exec(re.search(r'\`\`\`python\\n(.*?)\`\`\`', doc, re.S).group(1))
try:
    read_rows(sys.argv[2], 0, 10)
except AssertionError as e:
    print(e)
    sys.exit(0)
sys.exit('damage not detected')
`;

const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const skip = numpy.status === 0 ? false : 'python3 with numpy is not available to run the docs/FORMAT.md snippet';

test(
  'the numpy snippet in docs/FORMAT.md reads rows and metadata exactly: multi-hot, one-hot (no offsets sections), mixed, versions 1 and 2',
  { skip },
  () => {
    const metadata = { splits: { train: { start: 0, end: 400 } } };
    const cases: [string, Row[], (file: string, rows: Row[]) => void][] = [
      ['multi-hot', randomRows(new Rng(3), 500, 3, 4, 3), (f, rows) => writeRows(f, rows, 3, 4, 64, metadata)],
      ['one-hot', randomRows(new Rng(4), 500, 3, 4, 1, 1), (f, rows) => writeRows(f, rows, 3, 4, 64, metadata)],
      ['mixed', mixedRows(new Rng(5), 500, 3, 4, 64, 1), (f, rows) => writeRows(f, rows, 3, 4, 64, metadata)],
      [
        'version-1',
        mixedRows(new Rng(6), 500, 3, 4, 64, 1),
        (f, rows) => fs.writeFileSync(f, encodeProcessedFile(rows, 3, 4, 64, metadata, 1)),
      ],
      [
        'version-2',
        mixedRows(new Rng(7), 500, 3, 4, 64, 1),
        (f, rows) => fs.writeFileSync(f, encodeProcessedFile(rows, 3, 4, 64, metadata, 2)),
      ],
    ];
    for (const [name, rows, write] of cases) {
      const file = path.join(dir, `${name}.bin`);
      const rowsJson = path.join(dir, `${name}.json`);
      write(file, rows);
      fs.writeFileSync(rowsJson, JSON.stringify(rows));
      const r = spawnSync('python3', ['-c', CHECK, path.join(repoRoot(), 'docs', 'FORMAT.md'), file, rowsJson], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), metadata, name);
    }
  },
);

test('the numpy snippet in docs/FORMAT.md refuses a flipped byte in a row group and in the header', { skip }, () => {
  const rows = randomRows(new Rng(8), 200, 3, 4, 2);
  const file = path.join(dir, 'good.bin');
  writeRows(file, rows, 3, 4, 64, { splits: {} });
  const bytes = fs.readFileSync(file);
  for (const [name, at, message] of [
    ['group', 64 + 4 * 3, /row group at byte 64 damaged/],
    ['header', 21, /header, index or metadata damaged/],
  ] as const) {
    const damaged = path.join(dir, `damaged-${name}.bin`);
    const copy = Buffer.from(bytes);
    copy[at] ^= 1;
    fs.writeFileSync(damaged, copy);
    const r = spawnSync('python3', ['-c', CHECK_DAMAGED, path.join(repoRoot(), 'docs', 'FORMAT.md'), damaged], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, message, name);
  }
});
