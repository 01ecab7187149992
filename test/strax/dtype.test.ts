import { describe, expect, it } from 'vitest';
import { parseDtype, DtypeError } from '../../src/strax/dtype/layout.js';
import { hitDtype, peakDtype, rawRecordDtype, recordDtype } from '../../src/strax/dtype/standard.js';
import { extractColumn, fromColumns, toColumns } from '../../src/strax/dtype/columns.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { dataset, manifest } from './fixtures.js';

// Printed by numpy 2.4 for a dtype with every quoting case, a 2-D shape, bytes, text, bool and datetime.
const NUMPY_REPR =
  `[(("Peak's time", 't'), '<i8'), (('Position of the Amplitude in ns (minus "time")', 'a'), '<i2'), ('plain', '|u1', (2, 3)), ` +
  `(('tab\\there\\\\ é\\x01', 'x'), '<f8'), ('s', '|S5'), ('u', '<U3'), ('b', '|b1'), ('m', '<M8[ns]'), ('both \\' and "', '<u8')]`;

describe('dtype layouts', () => {
  for (const d of manifest.datasets) {
    it(`parses the ${d.name} dtype into the offsets and itemsize numpy reports`, () => {
      const layout = parseDtype(d.dtype_descr);
      expect(layout.itemsize).toBe(d.dtype_itemsize);
      expect(layout.fields.map((f) => ({ name: f.name, title: f.title, format: f.typestr, shape: [...f.shape], offset: f.offset, size: f.size }))).toEqual(
        d.dtype_fields,
      );
      expect(layout.descr).toBe(d.dtype_descr);
    });
  }

  it('builds the standard dtypes byte-identical to strax', () => {
    expect(recordDtype().descr).toBe(dataset('records_blosc').dtype_descr);
    expect(rawRecordDtype().descr).toBe(dataset('raw_records_zstd').dtype_descr);
    expect(peakDtype().descr).toBe(dataset('peaks_blosc').dtype_descr);
    expect(recordDtype().field('baseline').offset).toBe(27);
    expect(peakDtype().field('dt').typestr).toBe('<i4');
    expect(hitDtype().itemsize).toBe(48);
    expect(hitDtype().field('max_time').offset).toBe(40);
    expect(recordDtype(200).field('data').size).toBe(400);
    expect(peakDtype({ digitizeTop: false, hitsTiming: false, storeDataStart: false }).itemsize).toBe(3055 - 1600 - 12);
  });

  it('reads both quote styles, escapes, untitled fields and multi-dimensional shapes, and prints them as numpy does', () => {
    const layout = parseDtype(NUMPY_REPR);
    expect(layout.fields.map((f) => f.name)).toEqual(['t', 'a', 'plain', 'x', 's', 'u', 'b', 'm', 'both \' and "']);
    expect(layout.field('t').title).toBe("Peak's time");
    expect(layout.field('x').title).toBe('tab\there\\ é\x01');
    expect(layout.field('plain').shape).toEqual([2, 3]);
    expect(layout.field('u').size).toBe(12);
    expect(layout.itemsize).toBe(58);
    expect(layout.descr).toBe(NUMPY_REPR);
  });

  it.each([
    ['not a literal', 'dtype is not a Python literal'],
    ["[('a', '>i8')]", 'big-endian'],
    ["[('a', '<i3')]", 'unsupported numpy type string'],
    ["[('a', [('b', '<i8')])]", 'nested structured'],
    ['[]', 'non-empty list'],
    ["[('a', '<i8'), ('a', '<i4')]", 'appears twice'],
  ])('rejects %s with a clear error naming the file', (text, message) => {
    expect(() => parseDtype(text, '/data/x-metadata.json')).toThrow(DtypeError);
    expect(() => parseDtype(text, '/data/x-metadata.json')).toThrow(new RegExp(`/data/x-metadata.json: .*${message.replace(/[()]/g, '.')}`));
  });
});

describe('typed access', () => {
  const layout = recordDtype();
  const n = 5;
  const bytes = new Uint8Array(n * layout.itemsize);
  const rv = new RecordView(layout, bytes);
  for (let i = 0; i < n; i++) {
    rv.set(i, 'time', 1712345678901234560n + BigInt(i * 1000));
    rv.set(i, 'length', 110 - i);
    rv.set(i, 'dt', 10);
    rv.set(i, 'baseline', 16000.5 + i);
    for (let j = 0; j < 110; j++) rv.set(i, 'data', (i * 7 + j) % 300 - 150, j);
  }

  it('reads fields in place, including odd offsets and waveform samples', () => {
    expect(rv.time(3)).toBe(1712345678901237560n);
    expect(rv.get(2, 'baseline')).toBe(16002.5);
    expect(rv.get(4, 'data', 109)).toBe(((4 * 7 + 109) % 300) - 150);
    expect(rv.endtime(1)).toBe(1712345678901235560n + 109n * 10n);
  });

  it('extracts columns with per-row waveform views and packs them back to the same bytes', () => {
    const cols = toColumns(layout, bytes);
    expect(cols.time!.values).toBeInstanceOf(BigInt64Array);
    expect(cols.time!.values[4]).toBe(1712345678901238560n);
    expect(cols.baseline!.values[0]).toBe(16000.5);
    const wf = cols.data!.row(2);
    expect(wf.length).toBe(110);
    expect(Array.from(wf.subarray(0, 3) as Int16Array)).toEqual([14 - 150, 15 - 150, 16 - 150]);
    expect(fromColumns(layout, n, cols)).toEqual(bytes);
    expect(extractColumn(layout, bytes, 'reduction_level').values).toBeInstanceOf(Uint8Array);
  });

  it('refuses a buffer that is not whole rows', () => {
    expect(() => new RecordView(layout, new Uint8Array(300))).toThrow(/257-byte rows/);
  });
});
