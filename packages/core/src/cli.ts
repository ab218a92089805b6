#!/usr/bin/env node
// The `connect-jwt` bin: a thin entry over cli/main.ts, which holds the logic so tests can import it.
import { main } from './cli/main.js';

// A reader that closes early (`connect-jwt decode … | head -1`) has all it wants: end quietly, as
// Unix tools do, instead of dying of an unhandled EPIPE with a stack trace. Other errors stay loud.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
