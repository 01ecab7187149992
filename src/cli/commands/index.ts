// Every command module, in the order `daqflow --help` lists them.
import type { CommandModule } from 'yargs';

export const commandModules: CommandModule<any, any>[] = [];
