// How a command handler hands its result to main.ts, which alone prints --json and derives the exit code.
// The exit-code module itself, not the pass harness's index: every command loads this file at start-up.
import { exitCodeForSummary } from '../pass/exit-code.js';
import type { PassSummary } from '../pass/index.js';

/** A command that works on runs returns the pass summary; the others say their exit code. */
export type CommandOutcome = { summary: PassSummary; json?: unknown } | { exitCode: number; json?: unknown };

/** One per CLI invocation: main.ts passes it to yargs as parse context, so it reaches handlers as `argv.outcome`. */
export class OutcomeSlot {
  private value: CommandOutcome | undefined;
  set(outcome: CommandOutcome): void {
    this.value = outcome;
  }
  take(): CommandOutcome | undefined {
    const value = this.value;
    this.value = undefined;
    return value;
  }
}

/** What every handler's argv carries besides its options. */
export interface OutcomeArgs {
  outcome: OutcomeSlot;
}

/** The one place an outcome becomes an exit code. */
export function exitCodeOf(outcome: CommandOutcome): number {
  return 'summary' in outcome ? exitCodeForSummary(outcome.summary) : outcome.exitCode;
}

/** What --json prints: the summary itself unless the command chose another object. */
export function jsonOf(outcome: CommandOutcome): unknown {
  return outcome.json ?? ('summary' in outcome ? outcome.summary : undefined);
}

export { toJson } from '../util/json.js';
