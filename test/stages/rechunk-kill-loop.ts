// The SIGKILL loop both rechunk crash tests share: kill real `daqflow rechunk` passes at seeded random moments spread
// over the measured length of a whole pass, check the invariants after every pass, and start over on a fresh world
// whenever a pass got to the end.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { startCli, waitFor } from './import-helpers.js';
import type { RechunkWorld } from './rechunk-helpers.js';

export interface KillLoop<W extends { world: RechunkWorld }> {
  kills: number;
  seed: number;
  fresh: () => Promise<W>;
  /** The invariants; `finished` when the world needs no more passes. */
  check: (w: W, killed: boolean) => Promise<{ finished: boolean }>;
}

/** Wait until the killed holder's lock is older than the stale period (2 s in these worlds), so the next pass takes it over. */
export async function waitLockStale(world: RechunkWorld): Promise<void> {
  const lock = path.join(world.dir, 'work', 'locks', 'rechunk.lock');
  await waitFor(() => {
    const m = fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
    return m === undefined || Date.now() - m > 2_300;
  }, "the dead pass's lock to become stale");
}

/** Runs the loop until `kills` passes died by SIGKILL; returns the last world, in whatever state the kills left it. */
export async function killRechunkPasses<W extends { world: RechunkWorld }>(loop: KillLoop<W>): Promise<W> {
  // How long a whole pass takes here, so the kills spread over it on a fast machine as on a loaded one.
  let w = await loop.fresh();
  const t0 = Date.now();
  const whole = await startCli(['rechunk', '--config', w.world.configFile]).done;
  expect(whole.code, whole.stderr).toBe(0);
  expect((await loop.check(w, false)).finished).toBe(true);
  const span = Date.now() - t0;
  w = await loop.fresh();
  let kills = 0;
  let seed = loop.seed;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  while (kills < loop.kills) {
    const pass = startCli(['rechunk', '--config', w.world.configFile]);
    const timer = setTimeout(() => pass.child.kill('SIGKILL'), 150 + rand() * span);
    const result = await pass.done;
    clearTimeout(timer);
    const killed = result.code === null;
    if (killed) kills++;
    else expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
    const { finished } = await loop.check(w, killed);
    if (killed) await waitLockStale(w.world);
    if (finished) w = await loop.fresh();
  }
  return w;
}
