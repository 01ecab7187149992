// Every command module, in the order `daqflow --help` lists them.
import type { CommandModule } from 'yargs';
import { autoProcessCommand } from './auto-process.js';
import { configCommand } from './config.js';
import { dataCommand } from './data.js';
import { dbCommand } from './db.js';
import { fakeDaqCommand } from './fake-daq.js';
import { importCommand } from './import.js';
import { initCommand } from './init.js';
import { migrateCommand } from './migrate.js';
import { rechunkCommand } from './rechunk.js';
import { recoverStateCommand } from './recover-state.js';
import { reportStatusCommand } from './report-status.js';
import { straxerCommand } from './straxer.js';
import { runsCommand } from './runs.js';
import { submitCommand } from './submit.js';

export const commandModules: CommandModule<any, any>[] = [
  straxerCommand,
  submitCommand,
  autoProcessCommand,
  runsCommand,
  importCommand,
  migrateCommand,
  rechunkCommand,
  reportStatusCommand,
  recoverStateCommand,
  fakeDaqCommand,
  dataCommand,
  configCommand,
  dbCommand,
  initCommand,
];
