// Locates the internal real-data samples in ../shared/data/criteo (beside the repository). They are
// never copied into the repository; tests that need them skip with a printed reason when absent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';

/** The repository root (the folder holding package.json), found from this compiled file's location. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
  return dir;
}

/** Path of a file in ../shared/data/criteo, or a skip reason when it is absent. */
export function sharedCriteoFile(
  name: 'kaggle-sample.txt' | 'kaggle-test-sample.txt',
): { path: string } | { skip: string } {
  const p = path.resolve(repoRoot(), '..', 'shared', 'data', 'criteo', name);
  if (fs.existsSync(p)) return { path: p };
  return { skip: `real Criteo sample ${p} is absent (it is internal test data, not shipped with the repository)` };
}

/** A fresh temporary directory for one test, removed by the caller's `after` hook. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `dlrm-${prefix}-`));
}
