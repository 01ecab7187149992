// rechunk rules: per data type, the target chunk size and compressor (or a plain copy), as restrax chooses them.
import type { Config } from '../../config/schema.js';
import type { CompressorName } from '../../strax/compress/types.js';
import { globMatcher } from '../../util/glob.js';

export type RechunkConfig = Config['rechunk'];

export type Rule =
  | { action: 'rechunk'; targetMb: number; compressor: CompressorName; why: string }
  | { action: 'copy'; why: string };

export interface RunFacts {
  /** The run's data rate in MB/s: the run document's `rate.<detector>.avg` summed, else the raw data's bytes over its time span. */
  rateMbS: number;
  /** The run's rechunk failed before (this is a retry). */
  failedBefore: boolean;
}

/**
 * The rule for one data type: `skip_types` are copied; the first of `rules` whose patterns match sets target and/or
 * compressor; otherwise raw types get raw_target_mb with raw_compressor (fast_compressor for fast or retried runs) and
 * the rest target_mb with compressor. blosc targets are capped at blosc_max_mb (a blosc frame holds less than 2 GB).
 */
export function pickRule(cfg: RechunkConfig, dataType: string, facts: RunFacts, bypass: boolean): Rule {
  if (bypass) return { action: 'copy', why: 'bypass: moved without rechunking' };
  if (globMatcher(cfg.skip_types)(dataType)) return { action: 'copy', why: 'rechunk.skip_types: copied unchanged' };
  const raw = globMatcher(cfg.raw_types)(dataType);
  let targetMb = raw ? cfg.raw_target_mb : cfg.target_mb;
  let compressor: CompressorName = raw ? cfg.raw_compressor : cfg.compressor;
  let why = raw ? 'raw type' : 'default';
  if (raw && (facts.rateMbS > cfg.high_rate_mb_s || facts.failedBefore)) {
    compressor = cfg.fast_compressor;
    why = facts.failedBefore ? 'raw type, failed before' : `raw type, ${facts.rateMbS.toFixed(1)} MB/s > rechunk.high_rate_mb_s`;
  }
  const index = cfg.rules.findIndex((r) => globMatcher(r.data_types)(dataType));
  if (index >= 0) {
    const r = cfg.rules[index]!;
    targetMb = r.target_mb ?? targetMb;
    compressor = r.compressor ?? compressor;
    why = `rechunk.rules[${index}]`;
  }
  if (compressor === 'blosc' && targetMb > cfg.blosc_max_mb) {
    targetMb = cfg.blosc_max_mb;
    why += `, blosc capped at ${cfg.blosc_max_mb} MB`;
  }
  return { action: 'rechunk', targetMb, compressor, why };
}
