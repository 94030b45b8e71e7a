#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/src/cli (run `npm run build` first).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`focuslite: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
