// AtomicFile's O_DIRECT appends: the file ends with exactly the bytes written (staged pieces, the
// unaligned tail, a header written at an offset, a file shorter than the alignment probe), the same as
// buffered writes; skips with the reason where the temp folder's file system has no O_DIRECT.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicFile } from '../../src/util/atomic';
import { Rng } from '../../src/util/random';
import { tempDir } from '../helpers/sharedData';

const dir = tempDir('direct');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const probe = new AtomicFile(path.join(dir, 'probe.bin'), { direct: true });
const skip = probe.isDirect ? false : `O_DIRECT is not available for files in ${dir}`;
probe.abort();

/** Writes the pieces (and a 64-byte header at 0 when asked) through an AtomicFile; returns the final bytes. */
function writeThrough(name: string, direct: boolean, pieces: Uint8Array[], header?: Uint8Array): Buffer {
  const file = new AtomicFile(path.join(dir, name), { direct });
  assert.equal(file.isDirect, direct);
  for (const p of pieces) file.write(p);
  if (header) file.writeAt(0, header);
  file.commit();
  return fs.readFileSync(path.join(dir, name));
}

test(
  'direct appends give the same file as buffered ones, across stage boundaries and with a header written last',
  { skip },
  () => {
    const rng = new Rng(4);
    const sizes = [64, 3, 5_000_000, 4096, 7, 9_000_001, 12_345, 1];
    const pieces = sizes.map((n) => Uint8Array.from({ length: n }, () => rng.nextInt(256)));
    const header = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const direct = writeThrough('direct.bin', true, pieces, header);
    const buffered = writeThrough('buffered.bin', false, pieces, header);
    assert.equal(
      direct.length,
      sizes.reduce((a, b) => a + b, 0),
    );
    assert.ok(direct.equals(buffered));
    assert.deepEqual([...direct.subarray(0, 64)], [...header]);
  },
);

test('a direct file shorter than the alignment probe keeps its exact length; abort leaves nothing', { skip }, () => {
  const small = writeThrough('small.bin', true, [Uint8Array.of(1, 2, 3)]);
  assert.deepEqual([...small], [1, 2, 3]);
  const empty = writeThrough('empty.bin', true, []);
  assert.equal(empty.length, 0);
  const aborted = new AtomicFile(path.join(dir, 'aborted.bin'), { direct: true });
  aborted.write(new Uint8Array(10_000_000));
  aborted.abort();
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes('aborted')),
    [],
  );
});
