#!/usr/bin/env node
// `npm test`'s runner: node's test runner on the compiled test files (dist/test/**/*.test.js) only. Node 20's
// `node --test dir` takes every .js file under a folder named test as a test file, so fixtures and fault-case
// lists used to count as empty passing tests. Arguments narrow the run to files whose path contains one of them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..', 'dist', 'test');
const files = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p);
    else if (entry.name.endsWith('.test.js')) files.push(p);
  }
})(root);
const filters = process.argv.slice(2);
const chosen = filters.length === 0 ? files : files.filter((f) => filters.some((s) => f.includes(s)));
if (chosen.length === 0) {
  console.error(`run-tests: no test file under ${root}${filters.length ? ` matches ${filters.join(', ')}` : ''}`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
