#!/usr/bin/env node
// `npm run demo`: one example add-on driven by the fake product through the whole Connect flow
// (examples/shared/src/demo.ts). Runs on the built packages: `node scripts/run.mjs demo` builds
// first. EXAMPLE picks the add-on (express-addon, koa-addon, fastify-addon).
const example = process.env.EXAMPLE ?? 'express-addon';
const { startAddon } = await import(`../examples/${example}/dist/app.js`);
const { runDemo } = await import('../examples/shared/dist/index.js');

const steps = await runDemo({ name: example, startAddon, color: process.stdout.isTTY && !process.env.NO_COLOR });
process.exit(steps.every((step) => step.ok) ? 0 : 1);
