#!/usr/bin/env node
// The `dlrm` executable: runs the compiled CLI (built by `npm install` through the `prepare` script).
'use strict';
require('../dist/src/cli/main.js').runCli(process.argv);
