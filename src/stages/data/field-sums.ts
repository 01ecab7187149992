// Per-field sums over every row and element: exact for integers (bigint), compensated (Neumaier) float64 for floats.
import { RecordView } from '../../strax/dtype/rows.js';
import type { RecordLayout } from '../../strax/dtype/layout.js';
import { pyFloatRepr } from '../../strax/json/py-float.js';

export class FieldSummer {
  private readonly ints = new Map<string, bigint>();
  private readonly floats = new Map<string, { sum: number; comp: number }>();
  constructor(private readonly layout: RecordLayout) {}

  add(bytes: Uint8Array): void {
    const rv = new RecordView(this.layout, bytes);
    for (const f of this.layout.fields) {
      if (f.kind === 'S' || f.kind === 'U') continue;
      if (f.kind === 'f') {
        const acc = this.floats.get(f.name) ?? { sum: 0, comp: 0 };
        for (let i = 0; i < rv.length; i++) {
          for (let j = 0; j < f.count; j++) {
            const x = rv.get(i, f.name, j) as number;
            const t = acc.sum + x;
            acc.comp += Math.abs(acc.sum) >= Math.abs(x) ? acc.sum - t + x : x - t + acc.sum;
            acc.sum = t;
          }
        }
        this.floats.set(f.name, acc);
      } else if (f.elementSize === 8) {
        let s = this.ints.get(f.name) ?? 0n;
        for (let i = 0; i < rv.length; i++) for (let j = 0; j < f.count; j++) s += rv.get(i, f.name, j) as bigint;
        this.ints.set(f.name, s);
      } else {
        // Small ints: sum in doubles per chunk (exact below 2^53), then add to the bigint total.
        let s = 0;
        for (let i = 0; i < rv.length; i++) for (let j = 0; j < f.count; j++) s += rv.get(i, f.name, j) as number;
        this.ints.set(f.name, (this.ints.get(f.name) ?? 0n) + BigInt(s));
      }
    }
  }

  result(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.layout.fields) {
      const i = this.ints.get(f.name);
      const fl = this.floats.get(f.name);
      if (i !== undefined) out[f.name] = i.toString();
      else if (fl !== undefined) out[f.name] = pyFloatRepr(fl.sum + fl.comp);
      else if (f.kind !== 'S' && f.kind !== 'U') out[f.name] = f.kind === 'f' ? '0.0' : '0';
    }
    return out;
  }
}
