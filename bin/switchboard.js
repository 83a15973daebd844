#!/usr/bin/env node
// The CLI entry point. It registers tsx so the TypeScript sources run as they are: no build step
// stands between `npm install` and `npx switchboard`, on a bare machine or in CI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
