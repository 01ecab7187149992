// Shared settings of the property-based (hostile input) tests: how many inputs, and what an acceptable refusal is.
import fc from 'fast-check';
import { expect } from 'vitest';
import { DaqflowError } from '../../src/errors.js';

/** DAQFLOW_FUZZ=long runs 20× more inputs (local runs); CI keeps the default counts. */
export const FUZZ_FACTOR = process.env.DAQFLOW_FUZZ === 'long' ? 20 : 1;

/** CI replays the same inputs every run (no new failures out of nowhere); the long mode, or DAQFLOW_FUZZ_SEED, explores. */
const SEED = process.env.DAQFLOW_FUZZ_SEED ? Number(process.env.DAQFLOW_FUZZ_SEED) : FUZZ_FACTOR === 1 ? 20261201 : undefined;

/** fast-check parameters for `base` runs (scaled by FUZZ_FACTOR); a failure prints the seed and path to replay. */
export function runs(base: number): fc.Parameters<unknown> {
  return { numRuns: base * FUZZ_FACTOR, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) };
}

/** A refusal the operator can act on: a daqflow error with one non-empty line. Anything else (TypeError, RangeError…) is a bug. */
export function expectCleanRefusal(error: unknown, allowed: ReadonlyArray<new (...a: never[]) => Error> = [DaqflowError]): void {
  if (!allowed.some((cls) => error instanceof cls)) throw error;
  const message = error instanceof DaqflowError ? error.shortMessage : (error as Error).message;
  expect(message.trim().length).toBeGreaterThan(0);
  expect(message).not.toMatch(/\n/);
}

/** Runs `fn`; returns its value, or undefined after checking that what it threw is a clean refusal. */
export function parsesOrRefuses<T>(fn: () => T, allowed?: ReadonlyArray<new (...a: never[]) => Error>): T | undefined {
  try {
    return fn();
  } catch (error) {
    expectCleanRefusal(error, allowed);
    return undefined;
  }
}

export async function parsesOrRefusesAsync<T>(fn: () => Promise<T>, allowed?: ReadonlyArray<new (...a: never[]) => Error>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    expectCleanRefusal(error, allowed);
    return undefined;
  }
}

/** Strings an attacker or a broken tool would send: shell metacharacters, traversal, control bytes, long runs of one character. */
export const hostileString = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: fc.constantFrom(...'$`;|&<>(){}[]*?~!#\'"\\\n\r\t\0 ./-_=:%,+@'.split('')), maxLength: 60 }),
    fc.constantFrom('../../etc/passwd', '/etc/shadow', '$(touch CANARY)', '`touch CANARY`', '; touch CANARY', '| touch CANARY', '&& touch CANARY', '012100; rm -rf /', '012100\n', '-rf', '--help', '\u202e', ''),
    fc.tuple(fc.constantFrom('a', ' ', '=', '[', '0', '_', '-'), fc.integer({ min: 1000, max: 20000 })).map(([c, n]) => c.repeat(n)),
  );
