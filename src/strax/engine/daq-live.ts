// Live data as the DAQ (redax) writes it and straxen's DAQReader reads it (facts: shared/design/LIVE_FORMAT.md):
//   <live_dir>/<RUN>/NNNNNN/<host>_reader_<id>_<thread>     central part of chunk N, one file per reader thread
//   <live_dir>/<RUN>/NNNNNN_post/…, (N+1)_pre/…            the overlap window after chunk N (the same bytes twice)
//   <live_dir>/<RUN>/THE_END/<file>                          one marker per thread once it has flushed everything
// A file is one compressed blob (lz4 frame, blosc1, zstd) of packed raw_records rows with times relative to the run
// start; a zero-byte file holds no rows. Chunk i becomes one strax chunk per output type, cut at a quiet time inside
// its overlap windows (artificial-deadtime records on channel 799 where no quiet time exists), and is split into
// raw_records, raw_records_he, raw_records_aqmon, … by the channel map.
import fs from 'node:fs';
import path from 'node:path';
import { decompressFrameSync } from 'lz4-napi';
import zstdBinding from 'zstd-napi/binding.js';
import { ConfigError, DataNotAvailableError } from '../../errors.js';
import { getCompressor } from '../compress/index.js';
import { lz4FrameExtent } from '../compress/lz4.js';
import { decodeLz4FrameUpTo, lz4FrameContentBound, lz4FrameDecodableInto } from '../compress/lz4-into.js';
import { ifWasmMemory } from '../../util/wasm.js';
import { readBloscHeader } from '../compress/blosc.js';
import { rawRecordDtype } from '../dtype/standard.js';
import { DataCorruptedError, FrameError } from '../errors.js';

export const DAQ_RECORD = rawRecordDtype(110);
export const ARTIFICIAL_DEADTIME_CHANNEL = 799;
export const THE_END = 'THE_END';
export const DAQ_COMPRESSORS = ['lz4', 'blosc', 'zstd'] as const;
export type DaqCompressor = (typeof DAQ_COMPRESSORS)[number];

/** One subdetector's channel range (inclusive); ranges are ascending in map order. */
export interface ChannelRange {
  name: string;
  lo: number;
  hi: number;
}

/** XENONnT's map (straxen contexts): every output DAQReader provides has a range; 799 is the artificial deadtime. */
export const XENONNT_CHANNEL_MAP: Readonly<Record<string, readonly [number, number]>> = {
  tpc: [0, 493], he: [500, 752], aqmon: [790, 807], aqmon_nv: [808, 815], tpc_blank: [999, 999], mv: [1000, 1083],
  aux_mv: [1084, 1087], mv_blank: [1999, 1999], nveto: [2000, 2119], nveto_blank: [2999, 2999],
};

/** The strax data type a subdetector's records go to (undefined: dropped, the `*blank` ranges). */
export function outputTypeOf(subdetector: string): string | undefined {
  if (subdetector.endsWith('blank')) return undefined;
  if (subdetector === 'tpc') return 'raw_records';
  if (subdetector.startsWith('nveto')) return 'raw_records_nv';
  return `raw_records_${subdetector}`;
}

/** Check a {name: [lo, hi]} map (ascending, 799 inside) and turn it into ranges; ConfigError naming the key otherwise. */
export function channelRanges(map: Readonly<Record<string, readonly [number, number]>>, option = 'live.channel_map'): ChannelRange[] {
  const out: ChannelRange[] = [];
  for (const [name, pair] of Object.entries(map)) {
    const [lo, hi] = pair;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) throw new ConfigError(`${option}.${name}: [${lo}, ${hi}] is not a channel range [lo, hi] with lo ≤ hi`, { context: { option } });
    const prev = out[out.length - 1];
    if (prev && lo <= prev.hi) throw new ConfigError(`${option}.${name}: ranges must be ascending in map order (${name} starts at ${lo}, ${prev.name} ends at ${prev.hi})`, { context: { option } });
    const type = outputTypeOf(name);
    const twin = out.find((r) => type !== undefined && outputTypeOf(r.name) === type);
    if (twin) throw new ConfigError(`${option}.${name}: ${twin.name} already goes to ${type} (DAQReader would keep only one of them); merge the ranges`, { context: { option } });
    out.push({ name, lo, hi });
  }
  if (!out.some((r) => r.lo <= ARTIFICIAL_DEADTIME_CHANNEL && ARTIFICIAL_DEADTIME_CHANNEL <= r.hi)) {
    throw new ConfigError(`${option}: channel ${ARTIFICIAL_DEADTIME_CHANNEL} (artificial deadtime) must be inside a range`, { context: { option } });
  }
  return out;
}

/** The output types of a channel map, in map order. */
export function outputTypes(ranges: readonly ChannelRange[]): string[] {
  return [...new Set(ranges.map((r) => outputTypeOf(r.name)).filter((t): t is string => t !== undefined))];
}

/** DAQReader's settings (straxen option names in the comments). Times in ns. */
export interface DaqSettings {
  /** daq_chunk_duration (L), strax_chunk_length × 1e9. */
  chunkNs: number;
  /** daq_overlap_chunk_duration (O), strax_chunk_overlap × 1e9. */
  overlapNs: number;
  /** safe_break_in_pulses (G). */
  safeBreakNs: number;
  /** record_length (R), samples per record. */
  recordLength: number;
  /** max_digitizer_sampling_time (D). */
  maxDtNs: number;
  /** run_start_time truncated to whole seconds, in ns (t0). */
  t0: bigint;
  /** readout_threads: reader name → number of threads (files per folder). */
  readoutThreads: Readonly<Record<string, number>>;
  channelMap: readonly ChannelRange[];
  compressor: DaqCompressor;
}

export function checkDaqSettings(s: DaqSettings, where: string): void {
  const bad = (what: string): never => {
    throw new ConfigError(`${where}: ${what}`, { context: { file: where } });
  };
  if (!(s.chunkNs > 0 && s.overlapNs > 0)) bad(`chunk length ${s.chunkNs} ns and overlap ${s.overlapNs} ns must be positive`);
  if (s.safeBreakNs > Math.min(s.chunkNs, s.overlapNs)) bad(`the safe break (${s.safeBreakNs} ns) is longer than the chunk or overlap duration (as DAQReader, refused)`);
  if (s.t0 % 1_000_000_000n !== 0n) bad('the run start must be whole seconds (DAQReader truncates it)');
  const threads = Object.values(s.readoutThreads);
  if (threads.length === 0 || !threads.every((n) => Number.isInteger(n) && n > 0)) bad('processing_threads must map reader names to positive thread counts');
  if (!(DAQ_COMPRESSORS as readonly string[]).includes(s.compressor)) bad(`compressor ${JSON.stringify(s.compressor)} cannot be read (use ${DAQ_COMPRESSORS.join(', ')})`);
}

/** Where a decoded file goes: a buffer of at least `bytes` bytes, or null for a fresh one from the decoder. */
export type DecodeBufferSource = (bytes: number) => Uint8Array | null;

/**
 * Decode one DAQ file (all of it) into packed raw_records bytes; a zero-byte file is empty. With `into`, an LZ4 frame
 * without checksums (as redax writes them) is decoded into the buffer it gives, and a view of that buffer is returned.
 */
export async function decodeDaqFile(file: string, blob: Uint8Array, compressor: DaqCompressor, into?: DecodeBufferSource): Promise<Uint8Array> {
  if (blob.length === 0) return new Uint8Array(0);
  let out: Uint8Array;
  try {
    out = (compressor === 'lz4' && into && decodeLz4Into(blob, into)) || (await decodeBlob(blob, compressor));
  } catch (error) {
    if (error instanceof FrameError) throw new DataCorruptedError(file, `live file is damaged: ${error.message}; the DAQ compressor is ${compressor}`);
    throw new DataCorruptedError(file, `live file is not a ${compressor} frame (${(error as Error).message}); check the run's daq_config compressor`);
  }
  if (out.length % DAQ_RECORD.itemsize !== 0) throw new DataCorruptedError(file, `decodes to ${out.length} bytes, not a whole number of ${DAQ_RECORD.itemsize}-byte raw_records (wrong record length or a truncated file)`);
  return out;
}

/** The frame decoded into a buffer from `into`; null where it cannot be (checksums, no buffer, no WebAssembly memory). */
function decodeLz4Into(frame: Uint8Array, into: DecodeBufferSource): Uint8Array | null {
  if (!lz4FrameDecodableInto(frame)) return null;
  return (
    ifWasmMemory(() => {
      const out = into(lz4FrameContentBound(frame));
      return out && out.subarray(0, decodeLz4FrameUpTo(frame, out));
    }) ?? null
  );
}

async function decodeBlob(blob: Uint8Array, compressor: DaqCompressor): Promise<Uint8Array> {
  const src = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  switch (compressor) {
    case 'lz4': {
      const { length } = lz4FrameExtent(src);
      if (length !== src.length) throw new FrameError(`${src.length - length} bytes follow the LZ4 end mark`);
      return decompressFrameSync(src);
    }
    case 'blosc': {
      const h = readBloscHeader(blob);
      if (h.cbytes !== blob.length) throw new FrameError(`blosc header says ${h.cbytes} bytes, the file has ${blob.length}`);
      return getCompressor('blosc').decompress(blob, h.nbytes);
    }
    case 'zstd': {
      const size = zstdBinding.getFrameContentSize(src);
      if (size === null) throw new FrameError('zstd frame without a content size');
      const out = Buffer.allocUnsafe(size);
      const written = zstdBinding.decompress(out, src);
      if (written !== size) throw new FrameError(`zstd frame decoded to ${written} bytes, its header says ${size}`);
      return out;
    }
  }
}

/** The run record next to the chunk folders: run_info.json (start) and daq_config.yaml (the run doc's daq_config). */
export const RUN_RECORD_DIR = 'run_record';

export interface RunDaqConfig {
  processing_threads: Record<string, number>;
  compressor?: string;
  strax_chunk_length?: number;
  strax_chunk_overlap?: number;
  strax_fragment_payload_bytes?: number;
}

/** A run's start and daq_config as the runs DB holds them (XENONnT run documents: `start`, `daq_config`). */
export interface RunDocDaq {
  start?: Date;
  daq_config?: unknown;
}

/**
 * DAQReader's settings for a run: daq_config (bootstrax's source) and the run start, whole seconds. Read from the
 * run record next to the chunk folders (fake-daq writes one); without it, from the run's document in the runs DB.
 */
export async function readDaqSettings(runDir: string, channelMap: readonly ChannelRange[], parseYaml: (text: string) => unknown, runDoc?: () => Promise<RunDocDaq | null>): Promise<DaqSettings> {
  const recordDir = path.join(runDir, RUN_RECORD_DIR);
  const cfgFile = path.join(recordDir, 'daq_config.yaml');
  const infoFile = path.join(recordDir, 'run_info.json');
  let cfg: Partial<RunDaqConfig>;
  let startMs: number;
  let where = cfgFile;
  if (fs.existsSync(cfgFile) && fs.existsSync(infoFile)) {
    try {
      cfg = (parseYaml(fs.readFileSync(cfgFile, 'utf8')) ?? {}) as Partial<RunDaqConfig>;
    } catch (error) {
      throw new DataCorruptedError(cfgFile, `not valid YAML (${(error as Error).message.split('\n')[0]!.slice(0, 200)})`);
    }
    if (typeof cfg !== 'object' || Array.isArray(cfg)) throw new DataCorruptedError(cfgFile, 'daq_config must be a mapping (processing_threads:, compressor:, …)');
    let info: unknown;
    try {
      info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
    } catch (error) {
      // V8 quotes the text in its message, newlines included: keep the operator's one line.
      throw new DataCorruptedError(infoFile, `not valid JSON (${(error as Error).message.replace(/\s+/g, ' ').slice(0, 200)})`);
    }
    const start = info !== null && typeof info === 'object' ? (info as { start?: unknown }).start : undefined;
    startMs = typeof start === 'string' ? Date.parse(start) : NaN;
    if (!Number.isFinite(startMs)) throw new DataCorruptedError(infoFile, 'field start is not an ISO date-time; write the run start as e.g. 2026-01-01T00:00:00.000Z');
  } else {
    const run = path.basename(runDir);
    const doc = await runDoc?.().catch(() => null);
    if (!doc?.start || typeof doc.daq_config !== 'object' || doc.daq_config === null) {
      throw new DataNotAvailableError(`live run ${run}`, `no run record at ${recordDir} and no start/daq_config for run ${run} in the runs DB; DAQReader needs the run start and daq_config.processing_threads`, { file: recordDir });
    }
    cfg = doc.daq_config as Partial<RunDaqConfig>;
    startMs = doc.start.getTime();
    where = `run ${run} in the runs DB (daq_config)`;
  }
  const payload = cfg.strax_fragment_payload_bytes ?? 220;
  if (payload !== 2 * 110) throw new DataCorruptedError(where, `strax_fragment_payload_bytes ${payload}: only 110-sample records (220 bytes) are supported`);
  const settings: DaqSettings = {
    chunkNs: Math.round((cfg.strax_chunk_length ?? 5) * 1e9),
    overlapNs: Math.round((cfg.strax_chunk_overlap ?? 0.5) * 1e9),
    safeBreakNs: 1000,
    recordLength: 110,
    maxDtNs: 10,
    t0: BigInt(Math.floor(startMs / 1000)) * 1_000_000_000n,
    readoutThreads: cfg.processing_threads ?? {},
    channelMap,
    compressor: (cfg.compressor ?? 'lz4') as DaqCompressor,
  };
  checkDaqSettings(settings, where);
  return settings;
}
