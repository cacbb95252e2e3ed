// Runs a list of fault cases as node:test tests, one each, in fresh temporary folders.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tempDir } from '../helpers/sharedData';
import { type FaultCase, runFaultCase } from './faultCase';

/** Registers one test per case: it passes when the run gives exactly the expected outcome and nothing is lost. */
export function registerFaultCases(cases: readonly FaultCase[]): void {
  for (const c of cases) {
    const skip = c.skip?.();
    test(`${c.kind}: ${c.name}`, { skip }, async () => {
      const dir = tempDir('fault');
      try {
        const v = await runFaultCase(c, dir);
        assert.deepEqual(v.problems, [], v.problems.join('\n'));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
