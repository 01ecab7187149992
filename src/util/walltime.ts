// Wall-time limits exactly as Slurm reads them: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S (seconds round up to a minute).
import { ConfigError } from '../errors.js';

export function parseWalltimeMinutes(text: string, option = 'time'): number {
  const t = String(text).trim();
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  const bad = (why: string) =>
    new ConfigError(`${option}: ${JSON.stringify(text)} ${why} (Slurm formats: 90, 90:00, 4:00:00, 1-12, 1-12:00, 1-12:00:00)`, { context: { option } });
  if (!m) throw bad('is not a wall time');
  const [, d, a, b, c] = m;
  const n = (x: string | undefined) => Number(x ?? 0);
  let minutes: number;
  if (d !== undefined) minutes = n(d) * 1440 + n(a) * 60 + n(b) + Math.ceil(n(c) / 60);
  else if (c !== undefined) minutes = n(a) * 60 + n(b) + Math.ceil(n(c) / 60);
  else minutes = n(a) + Math.ceil(n(b) / 60);
  if (!(minutes > 0)) throw bad('must be at least one minute');
  return minutes;
}
