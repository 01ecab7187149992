// fake-daq: write deterministic synthetic detector runs (live raw_records, run record, truth file) for demos and tests.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError } from '../errors.js';
import { rawRecordDtype } from '../strax/dtype/standard.js';
import { LiveWriter, LIVE_FORMAT, liveRunDir } from '../strax/engine/live-data.js';
import { DAQ_COMPRESSORS, RUN_RECORD_DIR, type DaqCompressor } from '../strax/engine/daq-live.js';
import { readChunks } from '../strax/storage/chunk-reader.js';
import { DataDirectory } from '../strax/storage/data-directory.js';
import { DaqWriter } from './fake-daq/daq-writer.js';
import { formatRunId } from '../util/validate.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { defaultDetector, type DetectorSpec } from './fake-daq/detector.js';
import { DEFAULT_PHYSICS, QUIET_NS, RECORD_SAMPLES, estimatedBytesPerSecond, generateChunk, type ForcedInteraction, type PhysicsSpec, type TruthInteraction } from './fake-daq/generate.js';
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
  /** `daq` (default): the DAQ's layout (chunk folders, overlap windows, one file per reader thread, THE_END). */
  layout?: 'daq' | typeof LIVE_FORMAT;
  /** DAQ layout: chunk length and overlap [s] (redax strax_chunk_length / strax_chunk_overlap; default 1 and 0.1). */
  daqChunkS?: number;
  daqOverlapS?: number;
  /** DAQ layout: reader threads (one file per thread and folder). */
  threads?: number;
  compressor?: DaqCompressor;
  /** DAQ layout: also put an interaction across every DAQ chunk start (S1 0.5 ms before, S2 0.5 ms after). */
  crossBoundaries?: boolean;
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
  checkDaqOptions(options);
  for (const run of options.runs) summaries.push(await writeRun(run, options, det, phys, seed, sizeMb, durationNs));
  return { runs: summaries };
}

async function writeRun(run: number, options: FakeDaqOptions, det: DetectorSpec, phys: PhysicsSpec, seed: number, sizeMb: number, durationNs: number): Promise<FakeDaqRunSummary> {
  const runId = formatRunId(run);
  const dir = liveRunDir(options.liveDir, runId);
  fs.rmSync(dir, { recursive: true, force: true });
  const layout = rawRecordDtype(RECORD_SAMPLES);
  const start = fakeRunStart(run);
  const daq = (options.layout ?? 'daq') === 'daq' ? daqWriter(options, dir, start, det.nPmts) : undefined;
  const writer = daq ? undefined : new LiveWriter(options.liveDir, runId, layout.descr, 'zstd', start);
  const truth: TruthInteraction[] = [];
  let bytes = 0;
  let t = start;
  let chunk = 0;
  while (bytes < sizeMb * 1e6 || chunk === 0) {
    const rng = new Prng(seed, run, chunk);
    const forced = options.crossBoundaries && daq ? acrossChunkEnds(daq, t - start, durationNs) : [];
    const c = generateChunk(det, phys, rng, t, durationNs, forced);
    const end = t + BigInt(durationNs);
    if (daq) await daq.writer.add(c.rows, end);
    else await writer!.append(t, end, c.rows, layout.itemsize);
    truth.push(...c.truth);
    bytes += c.rows.length;
    options.onChunk?.(runId, chunk, c.rows.length);
    t = end;
    chunk++;
  }
  if (daq) await daq.writer.finish();
  else writer!.finish();
  const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
  const recordDir = path.join(dir, 'run_record');
  fs.mkdirSync(recordDir, { recursive: true });
  const info = { number: run, name: runId, start: iso(start), end: iso(t), mode: options.mode ?? 'background', source: 'fake-daq', tags: [{ name: 'fake' }] };
  writeFileAtomicSync(path.join(recordDir, 'run_info.json'), JSON.stringify(info, null, 2) + '\n');
  const daqConfig = { ...(daq ? daq.config : {}), detector: det, physics: phys, seed, chunk_duration_ns: durationNs, record_samples: RECORD_SAMPLES };
  writeFileAtomicSync(path.join(recordDir, 'daq_config.yaml'), YAML.stringify(daqConfig));
  writeFileAtomicSync(path.join(recordDir, 'end_of_run.json'), JSON.stringify({ end: iso(t), n_chunks: chunk, bytes }, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, TRUTH_FILE), JSON.stringify({ run_id: runId, start: String(start), end: String(t), physics: phys, interactions: truth }, null, 1) + '\n');
  return { run: runId, dir, start: String(start), end: String(t), chunks: chunk, records: bytes / layout.itemsize, size_mb: bytes / 1e6, interactions: truth.length };
}

type DaqLayoutOptions = Pick<FakeDaqOptions, 'layout' | 'daqChunkS' | 'daqOverlapS' | 'threads' | 'compressor'>;

function checkDaqOptions(o: DaqLayoutOptions): void {
  const bad = (option: string, what: string): never => {
    throw new ConfigError(`--${option} ${what}`, { context: { option } });
  };
  if (o.layout !== undefined && o.layout !== 'daq' && o.layout !== LIVE_FORMAT) bad('layout', `must be daq or ${LIVE_FORMAT}, got ${JSON.stringify(o.layout)}`);
  if (o.daqChunkS !== undefined && !(o.daqChunkS > 0)) bad('daq-chunk-s', `must be positive, got ${o.daqChunkS}`);
  if (o.daqOverlapS !== undefined && !(o.daqOverlapS >= 1e-6)) bad('daq-overlap-s', `must be at least 1e-6 (the 1 µs safe break), got ${o.daqOverlapS}`);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1 && o.threads <= 64)) bad('threads', `must be an integer 1…64, got ${o.threads}`);
  if (o.compressor !== undefined && !(DAQ_COMPRESSORS as readonly string[]).includes(o.compressor)) bad('compressor', `must be one of ${DAQ_COMPRESSORS.join(', ')}, got ${JSON.stringify(o.compressor)}`);
}

interface RunDaq {
  writer: DaqWriter;
  chunkNs: number;
  overlapNs: number;
  /** What goes into run_record/daq_config.yaml (the run doc's daq_config keys DAQReader needs). */
  config: Record<string, unknown>;
}

/** redax writes 5 s chunks with 0.5 s overlaps; fake-daq's default runs (20 MB, ~4 s) would be shorter than one chunk. */
export const DEFAULT_DAQ_CHUNK_S = 1;
export const DEFAULT_DAQ_OVERLAP_S = 0.1;

/** The reader name of fake-daq's files: `fakedaq_reader_0_<thread>` (redax: `<host>_reader_<id>_<thread id>`). */
export const FAKE_DAQ_READER = 'fakedaq_reader_0';

function daqWriter(o: DaqLayoutOptions, runDir: string, t0: bigint, nChannels: number): RunDaq {
  const chunkNs = Math.round((o.daqChunkS ?? DEFAULT_DAQ_CHUNK_S) * 1e9);
  const overlapNs = Math.round((o.daqOverlapS ?? DEFAULT_DAQ_OVERLAP_S) * 1e9);
  const threads = o.threads ?? 4;
  const compressor = o.compressor ?? 'lz4';
  if (threads > nChannels) throw new ConfigError(`--threads ${threads} is more than the ${nChannels} channels (a thread without data never writes THE_END)`, { context: { option: 'threads' } });
  const writer = new DaqWriter({ runDir, t0, chunkNs, overlapNs, reader: FAKE_DAQ_READER, threads, compressor, threadOf: (ch) => ch % threads });
  const config = { processing_threads: { [FAKE_DAQ_READER]: threads }, compressor, strax_chunk_length: chunkNs / 1e9, strax_chunk_overlap: overlapNs / 1e9, strax_fragment_payload_bytes: 2 * RECORD_SAMPLES };
  return { writer, chunkNs, overlapNs, config };
}

/** Interactions straddling the DAQ chunk starts inside one generated block (relative ns): S1 0.5 ms before, S2 0.5 ms after. */
function acrossChunkEnds(daq: RunDaq, blockStart: bigint, durationNs: number): ForcedInteraction[] {
  const F = daq.chunkNs + daq.overlapNs;
  const from = Number(blockStart);
  const out: ForcedInteraction[] = [];
  const drift = 1e6;
  for (let c = Math.max(0, Math.floor(from / F) - 1); c * F < from + durationNs; c++) {
    const edge = (c + 1) * F - from; // where chunk c+1 starts: its pre window's break is near here (e − G when the window ends quietly)
    if (edge - drift / 2 >= QUIET_NS + 1e4 && edge + drift / 2 + 1e5 <= durationNs - QUIET_NS) out.push({ s1Ns: edge - drift / 2, driftNs: drift });
  }
  return out;
}

/** Replay a stored strax raw_records dataset into the DAQ layout (what straxen's old fake_daq script did). */
export async function replayRawRecords(o: { storageDir: string; run: string; liveDir: string; outputRun?: number } & DaqLayoutOptions): Promise<FakeDaqRunSummary> {
  checkDaqOptions(o);
  const found = new DataDirectory(o.storageDir).list({ run: o.run, dataType: 'raw_records' }).filter((d) => d.state === 'complete');
  if (found.length === 0) throw new ConfigError(`--replay: no complete raw_records of run ${o.run} under ${o.storageDir}`, { context: { option: 'replay' } });
  const ds = found[found.length - 1]!;
  if (ds.metadata!.dtype !== rawRecordDtype(RECORD_SAMPLES).descr) throw new ConfigError(`--replay: ${ds.path} does not hold ${RECORD_SAMPLES}-sample raw_records`, { context: { option: 'replay' } });
  const outRun = formatRunId(o.outputRun ?? Number(o.run));
  const dir = liveRunDir(o.liveDir, outRun);
  fs.rmSync(dir, { recursive: true, force: true });
  const firstStart = ds.metadata!.chunks[0]?.start ?? 0n;
  const t0 = (firstStart / 1_000_000_000n) * 1_000_000_000n;
  const daq = daqWriter(o, dir, t0, Number.MAX_SAFE_INTEGER);
  let bytes = 0;
  let end = t0;
  let chunks = 0;
  for await (const c of readChunks(ds)) {
    await daq.writer.add(c.data, c.end);
    bytes += c.data.length;
    end = c.end;
    chunks++;
  }
  await daq.writer.finish();
  const recordDir = path.join(dir, RUN_RECORD_DIR);
  fs.mkdirSync(recordDir, { recursive: true });
  const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
  writeFileAtomicSync(path.join(recordDir, 'run_info.json'), JSON.stringify({ number: Number(outRun), name: outRun, start: iso(t0), end: iso(end), mode: 'replay', source: `replay of ${ds.path}`, tags: [{ name: 'replay' }] }, null, 2) + '\n');
  writeFileAtomicSync(path.join(recordDir, 'daq_config.yaml'), YAML.stringify(daq.config));
  return { run: outRun, dir, start: String(t0), end: String(end), chunks, records: bytes / rawRecordDtype(RECORD_SAMPLES).itemsize, size_mb: bytes / 1e6, interactions: 0 };
}
