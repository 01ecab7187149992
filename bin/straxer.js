#!/usr/bin/env node
// straxer launcher: `straxer 012100 --target event_info` is `daqflow straxer 012100 --target event_info`.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2), { program: 'straxer' });
process.stdout.write('', () => process.exit(code));
