// The install-time build never fails the install: scripts/build-native.js, run in a scratch copy of the
// package with a compiler that always fails (CXX=/bin/false), exits 0, prints one line saying the tfjs
// engine will be used and how to get the native one, and leaves no addon behind; DLRM_SKIP_NATIVE_BUILD skips.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.resolve(__dirname, '..', '..', '..');

function scratchPackage(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlrm-native-build-'));
  fs.copyFileSync(path.join(repo, 'binding.gyp'), path.join(dir, 'binding.gyp'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(repo, 'scripts', 'build-native.js'), path.join(dir, 'scripts', 'build-native.js'));
  fs.mkdirSync(path.join(dir, 'src', 'engine', 'native'), { recursive: true });
  fs.symlinkSync(path.join(repo, 'src', 'engine', 'native', 'csrc'), path.join(dir, 'src', 'engine', 'native', 'csrc'));
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

test(
  'a failing native build still exits 0 with one line pointing at libopenblas-dev',
  { skip: process.platform !== 'linux' && 'linux only' },
  () => {
    const dir = scratchPackage();
    try {
      const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-native.js')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, CXX: '/bin/false', CC: '/bin/false' },
      });
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines.length, 1, r.stdout);
      assert.match(
        lines[0],
        /^dlrm: native engine not built \(.*\); the tfjs engine will be used; .*apt-get install libopenblas-dev/,
      );
      assert.equal(fs.existsSync(path.join(dir, 'build', 'Release', 'dlrm_native.node')), false);
      assert.ok(fs.existsSync(path.join(dir, 'build', 'native-build.log')), 'the build log is kept');

      const skipped = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-native.js')], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, DLRM_SKIP_NATIVE_BUILD: '1' },
      });
      assert.equal(skipped.status, 0);
      assert.match(skipped.stdout, /^dlrm: native engine build skipped/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
