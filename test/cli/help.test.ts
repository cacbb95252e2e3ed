// Every subcommand's --help fits 80 columns (commander wraps descriptions only when the flag column leaves
// it 40; one long flag term used to stop the wrapping of all of `dlrm train --help`).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from '../helpers/sharedData';

const SUBCOMMANDS = ['generate', 'preprocess', 'schema', 'inspect', 'train', 'eval', 'predict', 'report'];

test('every --help (not a terminal: 80 columns) has no line over 80 characters', () => {
  for (const sub of [...SUBCOMMANDS, null]) {
    const args = sub === null ? ['--help'] : [sub, '--help'];
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'dlrm.js'), ...args], {
      encoding: 'utf8',
      env: { ...process.env, COLUMNS: '80' },
    });
    assert.equal(r.status, 0, r.stderr);
    const long = r.stdout.split('\n').filter((l) => l.length > 80);
    assert.deepEqual(long, [], `dlrm ${args.join(' ')}: ${long.length} lines over 80 columns`);
    if (sub === 'train') assert.match(r.stdout, /--optimizer <optimizer>\s+sgd \| adagrad \| rowwise-adagrad/);
  }
});
