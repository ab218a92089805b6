#!/usr/bin/env node
// `connect-jwt-store`, the package's one bin: `npx @connect-jwt/store-url re-encrypt --store …`.
import { storeCommand } from './re-encrypt.js';

process.exitCode = await storeCommand(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
