// auto-process: what a run is processed to after repeated failures (auto_process.degrade, bootstrax's spirit).
import type { Config } from '../../config/schema.js';
import { globMatcher } from '../../util/glob.js';

export interface Degraded {
  targets: string[];
  /** Cores for the job (null = scheduler.cpus). */
  cpus: number | null;
  walltimeFactor: number;
  /** Compressor the degraded job writes with (`processing.compressor` for its straxer), null = the configured one. */
  compressor: Config['processing']['compressor'];
  /** Which step applied (-1 = none): runs of one pass are grouped into array jobs by it. */
  step: number;
}

/**
 * The targets after `nFailures` failures: every step whose `after_failures` is reached drops its patterns; the
 * last step reached sets cpus, walltime and compressor (each step that names one overrides the earlier ones). A run whose targets are all dropped gets the first of
 * `auto_process.fallback_targets` that no step reached drops, else the last of them.
 */
export function degradeFor(config: Config, nFailures: number): Degraded {
  const base = config.auto_process.targets ?? config.processing.targets;
  let targets = [...base];
  let cpus: number | null = null;
  let walltimeFactor = 1;
  let compressor: Degraded['compressor'] = null;
  let step = -1;
  const patterns: string[] = [];
  for (const [i, s] of config.auto_process.degrade.entries()) {
    if (nFailures < s.after_failures) break;
    patterns.push(...s.drop_targets);
    cpus = s.cpus ?? cpus;
    walltimeFactor = s.walltime_factor ?? walltimeFactor;
    compressor = s.compressor ?? compressor;
    step = i;
  }
  const dropped = globMatcher(patterns);
  targets = targets.filter((t) => !dropped(t));
  if (targets.length === 0) {
    const fallbacks = config.auto_process.fallback_targets;
    targets = [fallbacks.find((t) => !dropped(t)) ?? fallbacks.at(-1)!];
  }
  return { targets, cpus, walltimeFactor, compressor, step };
}
