// Names auto-process shares between its files.

/** The harness stage: `daqflow.auto_process`, state/auto_process.json, locks/auto_process.lock (stage names are identifiers). */
export const STAGE = 'auto_process';
/** The processing state that submit, straxer jobs and auto-process share (`daqflow.process`). */
export const PROCESS = 'process';
