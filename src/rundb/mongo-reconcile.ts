// A claim whose outcome is unknown (the connection broke after the driver's retry) is settled by looking for its claim_id.
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoServerSelectionError, type Document } from 'mongodb';
import { ServiceUnavailableError } from '../errors.js';

const LOOKUPS = 3;
const PAUSE_MS = 200;

/**
 * Rethrows anything but an unreachable-server error. Otherwise looks the claim up a few times: the run that carries the
 * claim_id when the claim was applied, null when it was not. When the server stays unreachable the original error is
 * rethrown with the claim_id, so the stale-claim rule (claimed, not refreshed) can release the run later.
 */
export async function reconcileClaim(error: unknown, lookup: () => Promise<Document | null>): Promise<Document | null> {
  if (!(error instanceof ServiceUnavailableError)) throw error;
  // No server was selected, so the claim was never sent: nothing to settle.
  if (error.cause instanceof MongoServerSelectionError) throw error;
  for (let i = 0; i < LOOKUPS; i++) {
    try {
      return await lookup();
    } catch {
      await sleep(PAUSE_MS * (i + 1));
    }
  }
  throw new ServiceUnavailableError(`${error.shortMessage} (the claim's outcome is unknown; if it was applied, the run stays claimed until the stale-claim rule releases it)`, {
    context: error.context,
    cause: error,
  });
}
