// Micro-benchmark: array-of-structs (DataView over packed rows) vs struct-of-arrays (column extraction) for strax records.
// Run: npm run build && node bench/strax-io/access.mjs
import { recordDtype, RecordView, extractColumn, toColumns } from '../../dist/strax/index.js';
import { synthRecords } from './synth.mjs';

const layout = recordDtype();
const N = Number(process.env.ROWS ?? 200_000);
const { bytes } = synthRecords(layout, N, 3);
const MB = bytes.length / 1e6;

function best(fn, reps = 5) {
  let bestMs = Infinity;
  let result;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    result = fn();
    bestMs = Math.min(bestMs, performance.now() - t);
  }
  return { ms: bestMs, result };
}

const dataOff = layout.field('data').offset;
const size = layout.itemsize;
const view = new DataView(bytes.buffer);

const cases = {
  'waveform sum, AoS DataView.getInt16': () => {
    let s = 0;
    for (let i = 0, o = dataOff; i < N; i++, o += size) for (let j = 0; j < 110; j++) s += view.getInt16(o + 2 * j, true);
    return s;
  },
  'waveform sum, AoS RecordView.get (generic)': () => {
    const rv = new RecordView(layout, bytes);
    let s = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < 110; j++) s += rv.get(i, 'data', j);
    return s;
  },
  'waveform sum, AoS RecordView.reader (resolved once)': () => {
    const rd = new RecordView(layout, bytes).reader('data');
    let s = 0;
    for (let i = 0; i < N; i++) for (let j = 0; j < 110; j++) s += rd(i, j);
    return s;
  },
  'waveform sum, SoA extract + Int16Array': () => {
    const c = extractColumn(layout, bytes, 'data').values;
    let s = 0;
    for (let k = 0; k < c.length; k++) s += c[k];
    return s;
  },
  'waveform sum, SoA Int16Array only (already extracted)': (() => {
    const c = extractColumn(layout, bytes, 'data').values;
    return () => {
      let s = 0;
      for (let k = 0; k < c.length; k++) s += c[k];
      return s;
    };
  })(),
  'endtime max, AoS DataView (BigInt)': () => {
    let m = 0n;
    const to = layout.field('time').offset, lo = layout.field('length').offset, dto = layout.field('dt').offset;
    for (let i = 0, o = 0; i < N; i++, o += size) {
      const e = view.getBigInt64(o + to, true) + BigInt(view.getInt32(o + lo, true) * view.getInt16(o + dto, true));
      if (e > m) m = e;
    }
    return m;
  },
  'endtime max, SoA extract + BigInt64Array': () => {
    const c = toColumns(layout, bytes, ['time', 'length', 'dt']);
    const t = c.time.values, l = c.length.values, d = c.dt.values;
    let m = 0n;
    for (let i = 0; i < N; i++) {
      const e = t[i] + BigInt(l[i] * d[i]);
      if (e > m) m = e;
    }
    return m;
  },
  'baseline mean (f4 @ odd offset 27), AoS DataView': () => {
    const bo = layout.field('baseline').offset;
    let s = 0;
    for (let i = 0, o = bo; i < N; i++, o += size) s += view.getFloat32(o, true);
    return s / N;
  },
  'baseline mean, SoA extract + Float32Array': () => {
    const c = extractColumn(layout, bytes, 'baseline').values;
    let s = 0;
    for (let i = 0; i < N; i++) s += c[i];
    return s / N;
  },
  'extract all 12 columns (toColumns)': () => Object.keys(toColumns(layout, bytes)).length,
};

console.log(`strax records access: ${N} rows × ${size} B = ${MB.toFixed(1)} MB, node ${process.version}`);
console.log('case'.padEnd(56), 'best ms'.padStart(9), 'MB/s'.padStart(9), ' result');
for (const [name, fn] of Object.entries(cases)) {
  const { ms, result } = best(fn);
  console.log(name.padEnd(56), ms.toFixed(1).padStart(9), (MB / (ms / 1000)).toFixed(0).padStart(9), ' ' + String(result).slice(0, 24));
}
