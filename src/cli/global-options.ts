// The options every command accepts.
import type { Argv } from 'yargs';
import type { OutcomeSlot } from './outcome.js';

export interface GlobalArgs {
  config?: string;
  verbose: boolean;
  quiet: boolean;
  json: boolean;
  dryRun: boolean;
  set: string[];
  /** Not an option: main.ts puts it in the parse context; the handler hands its result over through it. */
  outcome: OutcomeSlot;
}

export function addGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('config', { alias: 'c', type: 'string', describe: 'Config file (else $DAQFLOW_CONFIG, else ./config.yaml, else built-in defaults)', global: true })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Debug logging', global: true })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Only warnings and errors on the terminal', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'Print one machine-readable JSON summary on stdout', global: true })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would change, change nothing', global: true })
    .option('set', {
      type: 'string',
      array: true,
      default: [] as string[],
      describe: 'Override a config value: --set section.key=value (repeatable)',
      global: true,
      requiresArg: true,
    }) as unknown as Argv<T & GlobalArgs>;
}
