#!/usr/bin/env node
// The `crosswalk` command. Runs the TypeScript sources through tsx, so `npx crosswalk` works right after
// `npm ci` with no build step.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
