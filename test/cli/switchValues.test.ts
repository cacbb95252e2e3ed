// `--flag=value` on a boolean flag: refused for every switch of every subcommand with a message naming the
// flag and the spellings that exist; value flags written `--flag=value`, and anything after `--`, pass.
// One spawned `dlrm` checks the one-line message and the exit code end to end.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { isSwitch, refuseSwitchValues } from '../../src/cli/switchValues';
import { UserError } from '../../src/util/errors';
import { repoRoot } from '../helpers/sharedData';

const argvOf = (...args: string[]) => ['node', 'dlrm', ...args];

test('every boolean flag of every subcommand refuses a value, naming the flag', () => {
  const program = buildProgram();
  let switches = 0;
  for (const cmd of program.commands) {
    for (const option of cmd.options.filter((o) => isSwitch(o) && o.long)) {
      const flag = option.long as string;
      const positive = option.negate ? `--${flag.slice(5)}` : flag;
      const hasPositive = cmd.options.some((o) => o.long === positive);
      const hasNegative = cmd.options.some((o) => o.long === `--no-${positive.slice(2)}`);
      const use = [hasPositive ? positive : null, hasNegative ? `--no-${positive.slice(2)}` : null]
        .filter(Boolean)
        .join(' or ');
      for (const value of ['False', 'true', '']) {
        assert.throws(
          () => refuseSwitchValues(program, argvOf(cmd.name(), `${flag}=${value}`)),
          (err: unknown) =>
            err instanceof UserError && err.message === `${flag} is a switch and takes no value (use ${use})`,
          `${cmd.name()} ${flag}=${value}`,
        );
      }
      switches++;
    }
  }
  assert.ok(switches >= 5, `only ${switches} switches found`);
});

test('train names both spellings; a switch without a --no- form names only itself', () => {
  const program = buildProgram();
  assert.throws(() => refuseSwitchValues(program, argvOf('train', '--seed', '3', '--arch-interaction-itself=False')), {
    message:
      '--arch-interaction-itself is a switch and takes no value (use --arch-interaction-itself or --no-arch-interaction-itself)',
  });
  assert.throws(() => refuseSwitchValues(program, argvOf('train', '--no-arch-interaction-itself=1')), {
    message:
      '--no-arch-interaction-itself is a switch and takes no value (use --arch-interaction-itself or --no-arch-interaction-itself)',
  });
  assert.throws(() => refuseSwitchValues(program, argvOf('inspect', '--json=yes')), {
    message: '--json is a switch and takes no value (use --json)',
  });
  assert.throws(() => refuseSwitchValues(program, argvOf('generate', '--no-label=0')), {
    message: '--no-label is a switch and takes no value (use --no-label)',
  });
});

test('value flags with =, switches without a value, unknown flags and arguments after -- are left to commander', () => {
  const program = buildProgram();
  for (const args of [
    ['train', '--mini-batch-size=64', '--arch-interaction-itself', '--no-num-indices-per-lookup-fixed'],
    ['train', '--not-a-flag=1'],
    ['eval', '--json', '--', '--json=1'],
    ['--json=1'],
  ]) {
    assert.doesNotThrow(() => refuseSwitchValues(program, argvOf(...args)), args.join(' '));
  }
});

test('dlrm train --arch-interaction-itself=False exits 2 with the one-line message', () => {
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot(), 'bin', 'dlrm.js'), 'train', '--arch-interaction-itself=False'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    'dlrm: --arch-interaction-itself is a switch and takes no value (use --arch-interaction-itself or --no-arch-interaction-itself)\n',
  );
});
