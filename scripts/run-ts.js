#!/usr/bin/env node
// Runs a TypeScript file directly (benchmarks, one-off tools): @swc-node/register
// compiles on the fly and maps the @natgw/* aliases from tsconfig.json's paths.
// Usage: node scripts/run-ts.js <file.ts> [args...]
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
require('reflect-metadata');
require('@swc-node/register');
// The script sees its own arguments as if it had been run directly.
process.argv.splice(1, 2, path.resolve(file));
require(path.resolve(file));
