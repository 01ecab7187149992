// import, the readiness rule: a run is imported once its end is recorded, or once its folder stopped changing.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors.js';

export type Readiness = { ready: true; why: string } | { ready: false; reason: string };

/** End markers are paths inside the run folder; an absolute path or `..` would look elsewhere, so they are refused. */
export function checkEndMarkers(markers: readonly string[]): void {
  for (const [i, marker] of markers.entries()) {
    if (path.isAbsolute(marker) || marker.split(/[\\/]/).includes('..')) {
      throw new ConfigError(`import.end_markers[${i}]: "${marker}" must be a path inside the run folder (no leading /, no ..)`, {
        context: { option: 'import.end_markers' },
      });
    }
  }
}

/** The first end marker present in the run folder (a file, or a non-empty folder such as the DAQ's THE_END). */
export function endMarker(dir: string, markers: readonly string[]): string | undefined {
  return markers.find((marker) => {
    try {
      const st = fs.statSync(path.join(dir, marker));
      return st.isFile() || (st.isDirectory() && fs.readdirSync(path.join(dir, marker)).length > 0);
    } catch {
      return false;
    }
  });
}

/** Readiness from what is known: an end marker, a run-record end time, or how long the folder has been quiet. */
export function readiness(input: { marker?: string; recordEnd?: Date; newestMs: number; nowMs: number; settleMinutes: number }): Readiness {
  if (input.marker) return { ready: true, why: `end marker ${input.marker}` };
  if (input.recordEnd) return { ready: true, why: `run record ends at ${input.recordEnd.toISOString()}` };
  const quietS = Math.max(0, Math.round((input.nowMs - input.newestMs) / 1000));
  if (quietS >= input.settleMinutes * 60) return { ready: true, why: `no change for ${quietS} s` };
  return {
    ready: false,
    reason: `still being written: last change ${quietS} s ago, no end marker and no end time in the run record (imported after ${input.settleMinutes} min without changes)`,
  };
}
