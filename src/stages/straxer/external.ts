// processing.engine = command: run an external processor from a command template, then check its output is complete.
import path from 'node:path';
import { ConfigError, DataNotAvailableError } from '../../errors.js';
import { DataDirectory } from '../../strax/storage/data-directory.js';
import type { Logger } from '../../log/index.js';
import type { ProductSummary } from '../../strax/engine/context.js';
import { runCommand } from '../../util/run.js';

/** Expand {run}, {targets}, {storage}; an argument that is exactly `{targets}` becomes one argument per target. */
export function expandCommand(template: readonly string[], values: { run: string; targets: string[]; storage: string }): string[] {
  if (template.length === 0) throw new ConfigError('processing.command is empty; set it when processing.engine is command', { context: { option: 'processing.command' } });
  const out: string[] = [];
  for (const arg of template) {
    if (arg === '{targets}') out.push(...values.targets);
    else out.push(arg.replaceAll('{run}', values.run).replaceAll('{targets}', values.targets.join(',')).replaceAll('{storage}', values.storage));
  }
  return out;
}

/**
 * Run the external processor and describe what it wrote: each target's complete dataset with the lineage hash, rows,
 * bytes and compressor from its metadata (the runs DB records these as for the built-in engine).
 */
export async function runExternal(o: { template: string[]; run: string; targets: string[]; storage: string; timeoutMin: number; logger: Logger; signal?: AbortSignal }): Promise<ProductSummary[]> {
  const [file, ...args] = expandCommand(o.template, { run: o.run, targets: o.targets, storage: o.storage });
  o.logger.info(`running external processor: ${[file, ...args].join(' ')}`);
  const result = await runCommand(file!, args, { timeoutMs: o.timeoutMin * 60_000, signal: o.signal });
  for (const line of `${result.stdout}\n${result.stderr}`.split('\n')) if (line.trim()) o.logger.info(`processor: ${line}`);
  const dir = new DataDirectory(o.storage);
  return o.targets.map((t) => {
    const complete = dir.list({ run: o.run, dataType: t }).filter((d) => d.state === 'complete');
    if (complete.length === 0) throw new DataNotAvailableError(`${o.run}-${t}`, `the external processor finished but wrote no complete ${t} under ${o.storage}`, { run: o.run });
    const ds = complete[complete.length - 1]!;
    const md = ds.metadata!;
    const hash = md.lineage_hash ?? ds.lineageHash;
    return {
      // No meta.lineage: strax writes metadata with sorted keys, so strax's own key order (which straxen's RunDB frontend
      // matches as a whole document) cannot be recovered from it.
      data_type: t, key: `${o.run}-${t}-${hash}`, lineage_hash: hash, lineage: {}, source: 'computed', location: path.resolve(ds.path),
      rows: md.chunks.reduce((a, c) => a + c.n, 0), bytes: md.chunks.reduce((a, c) => a + (c.nbytes ?? 0), 0), size_mb: ds.sizeOnDisk / 1e6,
      n_chunks: md.chunks.length, compressor: md.compressor,
    };
  });
}
