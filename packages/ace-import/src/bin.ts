#!/usr/bin/env node
// `connect-jwt-import-ace`: the same command as `connect-jwt import-ace`, for `npx @connect-jwt/ace-import`.
import { importAceCommand } from './cli.js';

process.exitCode = await importAceCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
