#!/usr/bin/env node
// `connect-jwt-import-ace`, the package's one bin: `npx @connect-jwt/ace-import --from … --to …`.
import { importAceCommand } from './cli.js';

process.exitCode = await importAceCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
