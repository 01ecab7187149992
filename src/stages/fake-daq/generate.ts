// One live chunk of a synthetic run: interactions (S1 + drifted S2) and dark counts → per-channel pulses → raw_records.
import { rawRecordDtype } from '../../strax/dtype/standard.js';
import { Prng } from './prng.js';
import { SPE_TEMPLATE, lightPattern, pickChannel, pmtPositions, type DetectorSpec } from './detector.js';

export interface PhysicsSpec {
  rateHz: number;
  darkRateHz: number;
  electronLifetimeNs: number;
  driftMinNs: number;
  driftMaxNs: number;
  g1: number;
  g2: number;
  wKev: number;
  energyMinKev: number;
  energyMaxKev: number;
  s1TauNs: number;
  s2Sigma0Ns: number;
  /** S2 variance grows by this many ns² per ns of drift (diffusion). */
  s2DiffusionNs: number;
}

export const DEFAULT_PHYSICS: PhysicsSpec = {
  rateHz: 5, darkRateHz: 20, electronLifetimeNs: 5e6, driftMinNs: 20e3, driftMaxNs: 2.3e6,
  g1: 0.15, g2: 16, wKev: 0.0137, energyMinKev: 5, energyMaxKev: 50, s1TauNs: 25, s2Sigma0Ns: 250, s2DiffusionNs: 0.4,
};

/** No interaction's event window and no pulse may come near a chunk boundary (so processing can cut there). */
export const GUARD_LEFT_NS = 3e6;
export const GUARD_RIGHT_NS = 0.6e6;
export const QUIET_NS = 20e3;
const PRE_SAMPLES = 50;
const POST_SAMPLES = 50;
export const RECORD_SAMPLES = 110;
const RAW = rawRecordDtype(RECORD_SAMPLES);

export interface TruthInteraction {
  s1_time: string;
  s2_time: string;
  drift_ns: number;
  energy_kev: number;
  n_photons: number;
  n_electrons: number;
  s1_area: number;
  s2_area: number;
  s2_sigma_ns: number;
  x: number;
  y: number;
}

export interface GeneratedChunk {
  rows: Uint8Array;
  truth: TruthInteraction[];
}

/** Rough raw-data rate, used to size chunks. */
export function estimatedBytesPerSecond(det: DetectorSpec, phys: PhysicsSpec): number {
  return det.nPmts * phys.darkRateHz * RAW.itemsize + phys.rateHz * 500e3 * (det.nPmts / 494);
}

let noiseTable: Float32Array | undefined;
function noise(): Float32Array {
  if (!noiseTable) {
    const rng = new Prng(12345);
    noiseTable = new Float32Array(1 << 16);
    for (let i = 0; i < noiseTable.length; i++) noiseTable[i] = rng.gauss();
  }
  return noiseTable;
}

class PeList {
  t = new Float64Array(1024);
  ch = new Int32Array(1024);
  gain = new Float32Array(1024);
  n = 0;
  push(t: number, ch: number, gain: number): void {
    if (this.n === this.t.length) {
      const grow = <T extends Float64Array | Int32Array | Float32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.t = grow(this.t);
      this.ch = grow(this.ch);
      this.gain = grow(this.gain);
    }
    this.t[this.n] = t;
    this.ch[this.n] = ch;
    this.gain[this.n++] = gain;
  }
}

function addInteraction(det: DetectorSpec, phys: PhysicsSpec, xy: Float64Array, rng: Prng, pes: PeList, t1: number, drift: number, start: bigint): TruthInteraction {
  const energy = phys.energyMinKev + (phys.energyMaxKev - phys.energyMinKev) * rng.uniform();
  const nq = Math.round(energy / phys.wKev);
  const nPh = rng.binomial(nq, 0.45);
  const nE = nq - nPh;
  const r = 0.95 * Math.sqrt(rng.uniform());
  const th = 2 * Math.PI * rng.uniform();
  const x = r * Math.cos(th);
  const y = r * Math.sin(th);
  let s1Area = 0;
  const s1Pattern = lightPattern(det, xy, x, y, 0.3, 0.6);
  const nS1 = rng.binomial(nPh, phys.g1);
  for (let i = 0; i < nS1; i++) {
    const g = Math.max(0.1, 1 + 0.3 * rng.gauss());
    s1Area += g;
    pes.push(t1 + rng.exponential(phys.s1TauNs), pickChannel(s1Pattern, rng), g);
  }
  const survived = rng.binomial(nE, Math.exp(-drift / phys.electronLifetimeNs));
  const nS2 = rng.poisson(phys.g2 * survived);
  const sigma = Math.sqrt(phys.s2Sigma0Ns ** 2 + phys.s2DiffusionNs * drift);
  const s2Pattern = lightPattern(det, xy, x, y, 0.7, 0.15);
  let s2Area = 0;
  for (let i = 0; i < nS2; i++) {
    const g = Math.max(0.1, 1 + 0.3 * rng.gauss());
    s2Area += g;
    pes.push(t1 + drift + sigma * rng.gauss(), pickChannel(s2Pattern, rng), g);
  }
  return {
    s1_time: String(start + BigInt(Math.round(t1))), s2_time: String(start + BigInt(Math.round(t1 + drift))), drift_ns: Math.round(drift),
    energy_kev: energy, n_photons: nPh, n_electrons: nE, s1_area: s1Area, s2_area: s2Area, s2_sigma_ns: sigma, x, y,
  };
}

/** An interaction placed on purpose (S1 time relative to the chunk start), e.g. across a DAQ chunk boundary. */
export interface ForcedInteraction {
  s1Ns: number;
  driftNs: number;
}

/** Generate chunk [start, start + durationNs): deterministic given the Prng state. */
export function generateChunk(det: DetectorSpec, phys: PhysicsSpec, rng: Prng, start: bigint, durationNs: number, forced: readonly ForcedInteraction[] = []): GeneratedChunk {
  const xy = pmtPositions(det);
  const pes = new PeList();
  const truth: TruthInteraction[] = [];
  for (const f of forced) truth.push(addInteraction(det, phys, xy, rng, pes, f.s1Ns, f.driftNs, start));
  const usable = durationNs - GUARD_LEFT_NS - GUARD_RIGHT_NS - phys.driftMaxNs;
  if (usable > 0) {
    const n = rng.poisson((phys.rateHz * usable) / 1e9);
    const times = Array.from({ length: n }, () => GUARD_LEFT_NS + usable * rng.uniform()).sort((a, b) => a - b);
    for (const t1 of times) {
      const drift = phys.driftMinNs + (phys.driftMaxNs - phys.driftMinNs) * rng.uniform();
      truth.push(addInteraction(det, phys, xy, rng, pes, t1, drift, start));
    }
  }
  const nDark = rng.poisson((det.nPmts * phys.darkRateHz * (durationNs - 2 * QUIET_NS)) / 1e9);
  for (let i = 0; i < nDark; i++) {
    pes.push(QUIET_NS + (durationNs - 2 * QUIET_NS) * rng.uniform(), Math.floor(rng.uniform() * det.nPmts), Math.max(0.1, 1 + 0.3 * rng.gauss()));
  }
  if (forced.length > 0) truth.sort((a, b) => Number(BigInt(a.s1_time) - BigInt(b.s1_time)));
  return { rows: digitize(det, rng, pes, start), truth };
}

/** Group photoelectrons per channel into self-triggered pulses, add baseline and noise, cut into 110-sample records. */
function digitize(det: DetectorSpec, rng: Prng, pes: PeList, start: bigint): Uint8Array {
  const byChannel: number[][] = Array.from({ length: det.nPmts }, () => []);
  for (let i = 0; i < pes.n; i++) byChannel[pes.ch[i]!]!.push(i);
  const table = noise();
  const size = RAW.itemsize;
  let buf = new Uint8Array(size * 4096);
  let nRows = 0;
  const keys: number[] = [];
  const dt = det.sampleNs;
  for (let ch = 0; ch < det.nPmts; ch++) {
    const idx = byChannel[ch]!.sort((a, b) => pes.t[a]! - pes.t[b]!);
    const bl = det.baseline + ((ch * 7919) % 7) - 3;
    let k = 0;
    while (k < idx.length) {
      const first = Math.floor(pes.t[idx[k]!]! / dt);
      let last = first;
      let m = k;
      while (m < idx.length && Math.floor(pes.t[idx[m]!]! / dt) - PRE_SAMPLES <= last + SPE_TEMPLATE.length + POST_SAMPLES) {
        last = Math.max(last, Math.floor(pes.t[idx[m]!]! / dt));
        m++;
      }
      const ps = first - PRE_SAMPLES;
      const len = last + SPE_TEMPLATE.length + POST_SAMPLES - ps;
      const signal = new Float64Array(len);
      for (let q = k; q < m; q++) {
        const i = idx[q]!;
        const amp = det.adcPerPe * pes.gain[i]!;
        const s = Math.floor(pes.t[i]! / dt) - ps;
        for (let j = 0; j < SPE_TEMPLATE.length; j++) signal[s + j]! += amp * SPE_TEMPLATE[j]!;
      }
      let nz = rng.u32() & 0xffff;
      const nRec = Math.ceil(len / RECORD_SAMPLES);
      for (let r = 0; r < nRec; r++) {
        if ((nRows + 1) * size > buf.length) {
          const b = new Uint8Array(buf.length * 2);
          b.set(buf);
          buf = b;
        }
        const off = nRows * size;
        const view = new DataView(buf.buffer, off, size);
        const rl = Math.min(RECORD_SAMPLES, len - r * RECORD_SAMPLES);
        const tRel = (ps + r * RECORD_SAMPLES) * dt;
        view.setBigInt64(0, start + BigInt(tRel), true);
        view.setInt32(8, rl, true);
        view.setInt16(12, dt, true);
        view.setInt16(14, ch, true);
        view.setInt32(16, len, true);
        view.setInt16(20, r, true);
        view.setInt16(22, det.baseline, true);
        const data = new Int16Array(buf.buffer, off + 24, RECORD_SAMPLES);
        for (let j = 0; j < rl; j++) {
          const v = Math.round(bl + det.noiseRmsAdc * table[nz]! - signal[r * RECORD_SAMPLES + j]!);
          nz = (nz + 1) & 0xffff;
          data[j] = v < 0 ? 0 : v > 16383 ? 16383 : v;
        }
        keys.push(tRel * 1024 + ch);
        nRows++;
      }
      k = m;
    }
  }
  const order = Array.from({ length: nRows }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
  const out = new Uint8Array(nRows * size);
  for (let i = 0; i < nRows; i++) out.set(buf.subarray(order[i]! * size, (order[i]! + 1) * size), i * size);
  return out;
}
