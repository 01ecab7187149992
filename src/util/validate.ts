// Validation of values that reach file names, job scripts or other programs: run ids, targets, paths.
import path from 'node:path';
import { ConfigError } from '../errors.js';

const RUN_ID = /^\d{1,9}$/;
const TARGET = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** Parse a run id such as `012100` or `12100` into its number; rejects anything else. */
export function parseRunId(text: string, option = 'run'): number {
  const trimmed = String(text).trim();
  if (!RUN_ID.test(trimmed)) {
    throw new ConfigError(`${option}: ${JSON.stringify(text)} is not a run id (expected digits, e.g. 012100)`, {
      context: { option },
    });
  }
  return Number(trimmed);
}

/** The canonical run name: the number zero-padded to six digits, as XENON and strax folders use. */
export function formatRunId(run: number): string {
  return String(run).padStart(6, '0');
}

/** Parse `012100`, `012100-012110` and comma lists of both into sorted unique run numbers. */
export function parseRunList(items: readonly string[], option = 'runs', maxRuns = 1_000_000): number[] {
  const runs = new Set<number>();
  for (const item of items.flatMap((s) => String(s).split(','))) {
    const text = item.trim();
    if (text === '') continue;
    const range = /^(\d+)-(\d+)$/.exec(text);
    if (range) {
      const lo = parseRunId(range[1]!, option);
      const hi = parseRunId(range[2]!, option);
      if (hi < lo) throw new ConfigError(`${option}: range ${text} ends before it starts`, { context: { option } });
      if (hi - lo + 1 > maxRuns) throw new ConfigError(`${option}: range ${text} has more than ${maxRuns} runs`, { context: { option } });
      for (let r = lo; r <= hi; r++) runs.add(r);
    } else {
      runs.add(parseRunId(text, option));
    }
  }
  // `--process "$RUN"` with RUN unset must not become "every run".
  if (items.length > 0 && runs.size === 0) {
    throw new ConfigError(`${option}: ${JSON.stringify(items.join(','))} names no run (expected e.g. 012100, 012100-012110 or a comma list)`, { context: { option } });
  }
  return [...runs].sort((a, b) => a - b);
}

/** Data type / target names: identifiers, optionally ending in `*` for patterns. */
export function validateTarget(text: string, option = 'target'): string {
  if (!TARGET.test(text)) {
    throw new ConfigError(
      `${option}: ${JSON.stringify(text)} is not a valid data type (letters, digits and _ only, e.g. event_info)`,
      { context: { option } },
    );
  }
  return text;
}

/** Join `relative` under `root`, refusing anything that would escape it (.., absolute paths, NUL). */
export function safeJoin(root: string, relative: string, option = 'path'): string {
  if (relative.includes('\0') || path.isAbsolute(relative)) {
    throw new ConfigError(`${option}: ${JSON.stringify(relative)} must be a relative path without NUL bytes`, { context: { option } });
  }
  const base = path.resolve(root);
  const joined = path.resolve(base, relative);
  if (joined !== base && !joined.startsWith(base + path.sep)) {
    throw new ConfigError(`${option}: ${JSON.stringify(relative)} escapes ${base}`, { context: { option } });
  }
  return joined;
}
