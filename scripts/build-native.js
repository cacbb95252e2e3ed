#!/usr/bin/env node
// Install-time build of the native CPU engine (N-API addon on OpenBLAS, sources in src/engine/native/csrc,
// targets in binding.gyp). Never fails the install: when OpenBLAS, a compiler or node-gyp is missing it
// prints one line and dlrm falls back to the TensorFlow.js engine. Set DLRM_SKIP_NATIVE_BUILD=1 to skip.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const HINT =
  'for the fast CPU engine install OpenBLAS and a C++ compiler (Debian/Ubuntu: apt-get install libopenblas-dev g++) then run `npm rebuild dlrm` (in a checkout: node scripts/build-native.js)';

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: the npm-bundled copy above is the usual one
  }
  return candidates.find((p) => p && p.endsWith('.js') && fs.existsSync(p));
}

/** Node's own headers, so node-gyp never tries to download them (this machine has no such network). */
function nodeDirArgs() {
  const configured = process.env.npm_config_nodedir;
  if (configured) return [`--nodedir=${configured}`];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function main() {
  if (process.env.DLRM_SKIP_NATIVE_BUILD) {
    console.log(`dlrm: native engine build skipped (DLRM_SKIP_NATIVE_BUILD); ${HINT}`);
    return;
  }
  const gyp = nodeGypScript();
  if (!gyp) {
    console.log(`dlrm: native engine not built (node-gyp not found); the tfjs engine will be used; ${HINT}`);
    return;
  }
  const res = spawnSync(process.execPath, [gyp, 'rebuild', ...nodeDirArgs()], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = path.join(root, 'build', 'native-build.log');
  try {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.writeFileSync(logFile, `${res.stdout ?? ''}\n${res.stderr ?? ''}`);
  } catch {
    // the log is a convenience only
  }
  if (res.status === 0) {
    console.log('dlrm: native engine built (build/Release/dlrm_native.node)');
  } else {
    const why = /cblas\.h|lopenblas/.test(`${res.stdout}${res.stderr}`)
      ? 'OpenBLAS not found'
      : 'compiler or node-gyp failure';
    console.log(
      `dlrm: native engine not built (${why}, see build/native-build.log); the tfjs engine will be used; ${HINT}`,
    );
  }
}

main();
