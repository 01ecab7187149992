#!/usr/bin/env node
// daqflow launcher: runs the built CLI and exits with its code once stdout has drained.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.stdout.write('', () => process.exit(code));
