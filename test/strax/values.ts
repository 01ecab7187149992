// Test helpers: MANIFEST-style row values and field sums computed from packed rows.
import type { RecordLayout } from '../../src/strax/dtype/layout.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { pyFloatRepr } from '../../src/strax/json/py-float.js';

function text(f: { kind: string }, v: number | bigint): string {
  return f.kind === 'f' ? pyFloatRepr(Number(v)) : String(v);
}

export function rowValues(layout: RecordLayout, bytes: Uint8Array, i: number): Record<string, string | string[]> {
  const rv = new RecordView(layout, bytes);
  const out: Record<string, string | string[]> = {};
  for (const f of layout.fields) {
    const vals = Array.from({ length: f.count }, (_, j) => text(f, rv.get(i, f.name, j)));
    out[f.name] = f.shape.length === 0 ? vals[0]! : vals;
  }
  return out;
}

/** Exact bigint sums for integer fields, compensated float64 sums for float fields. */
export function fieldSums(layout: RecordLayout, bytes: Uint8Array): Record<string, bigint | number> {
  const rv = new RecordView(layout, bytes);
  const out: Record<string, bigint | number> = {};
  for (const f of layout.fields) {
    if (f.kind === 'f') {
      let sum = 0;
      let comp = 0;
      for (let i = 0; i < rv.length; i++) {
        for (let j = 0; j < f.count; j++) {
          const x = rv.get(i, f.name, j) as number;
          const t = sum + x;
          comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
          sum = t;
        }
      }
      out[f.name] = sum + comp;
    } else {
      let sum = 0n;
      for (let i = 0; i < rv.length; i++) for (let j = 0; j < f.count; j++) sum += BigInt(rv.get(i, f.name, j));
      out[f.name] = sum;
    }
  }
  return out;
}
