// Numbers rows over a whole run (e.g. event_number): segments arrive in order, each row gets the running count.
import { InternalError } from '../../errors.js';
import type { RecordLayout } from '../dtype/layout.js';

export class RowNumberer {
  private next = 0;
  private readonly offset: number;

  constructor(
    private readonly layout: RecordLayout,
    field: string,
  ) {
    const f = layout.field(field);
    if (f.typestr !== '<i8' || f.count !== 1) throw new InternalError(`numbered field ${field} must be a scalar <i8, not ${f.typestr}`);
    this.offset = f.offset;
  }

  /** Write the run-wide row numbers into the next segment's rows (in place). */
  number(rows: Uint8Array): void {
    const n = rows.length / this.layout.itemsize;
    const v = new DataView(rows.buffer, rows.byteOffset, rows.byteLength);
    for (let i = 0; i < n; i++) v.setBigInt64(i * this.layout.itemsize + this.offset, BigInt(this.next++), true);
  }
}
