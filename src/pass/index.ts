// The incremental-pass harness every stage uses.
export { runPass, type PassOptions, type StageWork, type TruthRuns } from './run-pass.js';
export { runOne, type ProcessRun, type RunContext, type RunOutcome } from './run-one.js';
export { LedgerAccess, recordOutcome, type HandedOffState, type LockScope, type Recorded, type RecordDeps } from './record.js';
export { Ledger, ledgerPath, LEDGER_FORMAT, type LedgerData, type LedgerFailure } from './ledger.js';
export { acquireStageLock, readLockHolder, type StageLock, type StageLockOptions } from './lock.js';
export { RetryPolicy, type RetryDecision } from './retry.js';
export { selectCandidates, type Candidate, type PassMode, type Selection } from './selection.js';
export { advanceContiguous } from './contiguity.js';
export { watchSignals, type SignalWatch } from './signals.js';
export { closeSummary, describeSummary, emptySummary, type PassSummary, type RunDone, type RunFailed, type RunPending, type RunSkipped, type SummaryHook } from './summary.js';
export { exitCodeForSummary } from './exit-code.js';
export { lastPassOf, lastPassPath, readLastPass, readLastPasses, saveLastPass, LAST_PASS_FORMAT, type LastPass } from './last-pass.js';
