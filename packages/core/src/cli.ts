#!/usr/bin/env node
// The `connect-jwt` bin: a thin entry over cli/main.ts, which holds the logic so tests can import it.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
