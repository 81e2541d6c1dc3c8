#!/usr/bin/env node
'use strict';
// The `lifeguard` command: a thin launcher for the compiled CLI in dist/ (built by `npm run build`).
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
let cli;
try {
  cli = require(entry);
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(entry)) {
    process.stderr.write('lifeguard: the CLI is not built yet; run `npm run build` in the lifeguard package.\n');
    process.exit(2);
  }
  throw err;
}
cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
