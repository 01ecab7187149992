// Packed strax rows as a NumPy .npy file (format 1.0, or 2.0 for very wide dtypes): header + the rows unchanged.
import type { RecordLayout } from '../strax/dtype/layout.js';

const MAGIC = Buffer.from([0x93, ...Buffer.from('NUMPY', 'latin1')]);

/** The .npy header for n rows of `layout` (numpy pads the header so the data starts on a 64-byte boundary). */
export function npyHeader(layout: RecordLayout, n: number): Buffer {
  const dict = `{'descr': ${layout.descr}, 'fortran_order': False, 'shape': (${n},), }`;
  const v1 = dict.length + 64 <= 0xffff;
  const prefix = MAGIC.length + 2 + (v1 ? 2 : 4);
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const text = dict + ' '.repeat(total - prefix - dict.length - 1) + '\n';
  const head = Buffer.alloc(prefix);
  MAGIC.copy(head);
  head[6] = v1 ? 1 : 2;
  head[7] = 0;
  if (v1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, 'latin1')]);
}
