// How a command handler hands its result to main.ts, which alone prints --json and picks the exit code.

export interface CommandOutcome {
  exitCode: number;
  /** The machine-readable summary printed on stdout with --json. */
  json?: unknown;
}

let current: CommandOutcome | undefined;

export function setOutcome(outcome: CommandOutcome): void {
  current = outcome;
}

export function takeOutcome(): CommandOutcome | undefined {
  const outcome = current;
  current = undefined;
  return outcome;
}

/** JSON text with BigInt values written as exact decimal strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
