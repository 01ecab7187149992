// fake-daq: write deterministic synthetic detector runs (live raw_records, run record, truth file) for demos and tests.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import { rawRecordDtype } from '../strax/dtype/standard.js';
import { LiveWriter, liveRunDir } from '../strax/engine/live-data.js';
import { formatRunId } from '../util/validate.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { defaultDetector, type DetectorSpec } from './fake-daq/detector.js';
import { DEFAULT_PHYSICS, RECORD_SAMPLES, estimatedBytesPerSecond, generateChunk, type PhysicsSpec, type TruthInteraction } from './fake-daq/generate.js';
import { Prng } from './fake-daq/prng.js';

export interface FakeDaqOptions {
  runs: number[];
  liveDir: string;
  sizeMb?: number;
  rateHz?: number;
  seed?: number;
  pmts?: number;
  chunkMb?: number;
  darkRateHz?: number;
  electronLifetimeUs?: number;
  mode?: string;
  onChunk?: (run: string, chunk: number, bytes: number) => void;
}

export interface FakeDaqRunSummary {
  run: string;
  dir: string;
  start: string;
  end: string;
  chunks: number;
  records: number;
  size_mb: number;
  interactions: number;
}

export interface FakeDaqSummary {
  runs: FakeDaqRunSummary[];
}

/** Run start in ns: 2026-01-01T00:00Z plus one hour per run number (deterministic, no wall clock). */
export function fakeRunStart(run: number): bigint {
  return BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n + BigInt(run) * 3_600_000_000_000n;
}

export const TRUTH_FILE = 'truth.json';

export async function runFakeDaq(options: FakeDaqOptions): Promise<FakeDaqSummary> {
  const sizeMb = options.sizeMb ?? 20;
  const chunkMb = options.chunkMb ?? 8;
  if (!(sizeMb > 0)) throw new ConfigError(`--size-mb must be positive, got ${sizeMb}`, { context: { option: 'size-mb' } });
  if (!(chunkMb > 0)) throw new ConfigError(`--chunk-mb must be positive, got ${chunkMb}`, { context: { option: 'chunk-mb' } });
  const det: DetectorSpec = defaultDetector(options.pmts ?? 494);
  if (det.nPmts < 2 || det.nPmts > 10000) throw new ConfigError(`--pmts must be 2…10000, got ${det.nPmts}`, { context: { option: 'pmts' } });
  const phys: PhysicsSpec = {
    ...DEFAULT_PHYSICS,
    rateHz: options.rateHz ?? DEFAULT_PHYSICS.rateHz,
    darkRateHz: options.darkRateHz ?? DEFAULT_PHYSICS.darkRateHz,
    electronLifetimeNs: (options.electronLifetimeUs ?? DEFAULT_PHYSICS.electronLifetimeNs / 1e3) * 1e3,
  };
  if (!(phys.rateHz >= 0)) throw new ConfigError(`--rate-hz must be ≥ 0, got ${phys.rateHz}`, { context: { option: 'rate-hz' } });
  const seed = options.seed ?? 1;
  const durationNs = Math.max(10e6, Math.round(((chunkMb * 1e6) / estimatedBytesPerSecond(det, phys)) * 1e9 / 1e6) * 1e6);
  const summaries: FakeDaqRunSummary[] = [];
  for (const run of options.runs) summaries.push(await writeRun(run, options, det, phys, seed, sizeMb, durationNs));
  return { runs: summaries };
}

async function writeRun(run: number, options: FakeDaqOptions, det: DetectorSpec, phys: PhysicsSpec, seed: number, sizeMb: number, durationNs: number): Promise<FakeDaqRunSummary> {
  const runId = formatRunId(run);
  const dir = liveRunDir(options.liveDir, runId);
  fs.rmSync(dir, { recursive: true, force: true });
  const layout = rawRecordDtype(RECORD_SAMPLES);
  const start = fakeRunStart(run);
  const writer = new LiveWriter(options.liveDir, runId, layout.descr, 'zstd', start);
  const truth: TruthInteraction[] = [];
  let bytes = 0;
  let t = start;
  let chunk = 0;
  while (bytes < sizeMb * 1e6 || chunk === 0) {
    const rng = new Prng(seed, run, chunk);
    const c = generateChunk(det, phys, rng, t, durationNs);
    const end = t + BigInt(durationNs);
    await writer.append(t, end, c.rows, layout.itemsize);
    truth.push(...c.truth);
    bytes += c.rows.length;
    options.onChunk?.(runId, chunk, c.rows.length);
    t = end;
    chunk++;
  }
  writer.finish();
  const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
  const recordDir = path.join(dir, 'run_record');
  fs.mkdirSync(recordDir, { recursive: true });
  const info = { number: run, name: runId, start: iso(start), end: iso(t), mode: options.mode ?? 'background', source: 'fake-daq', tags: [{ name: 'fake' }] };
  writeFileAtomicSync(path.join(recordDir, 'run_info.json'), JSON.stringify(info, null, 2) + '\n');
  const daq = { detector: det, physics: phys, seed, chunk_duration_ns: durationNs, record_samples: RECORD_SAMPLES };
  writeFileAtomicSync(path.join(recordDir, 'daq_config.yaml'), YAML.stringify(daq));
  writeFileAtomicSync(path.join(recordDir, 'end_of_run.json'), JSON.stringify({ end: iso(t), n_chunks: chunk, bytes }, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, TRUTH_FILE), JSON.stringify({ run_id: runId, start: String(start), end: String(t), physics: phys, interactions: truth }, null, 1) + '\n');
  return { run: runId, dir, start: String(start), end: String(t), chunks: chunk, records: bytes / layout.itemsize, size_mb: bytes / 1e6, interactions: truth.length };
}
