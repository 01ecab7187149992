// The selection grammar: precedence, exact integers, and every way an expression is refused without being run.
import { describe, expect, test } from 'vitest';
import { makeLayout } from '../../src/strax/dtype/layout.js';
import { RecordView } from '../../src/strax/dtype/rows.js';
import { compileSelection, parseSelection, SelectionError } from '../../src/serve/selection.js';
import { jsonArrayChunks } from '../../src/serve/encode-json.js';
import { npyHeader } from '../../src/serve/encode-npy.js';

const jsonText = (...args: Parameters<typeof jsonArrayChunks>): string => Buffer.concat([...jsonArrayChunks(...args)]).toString('utf8');

const layout = makeLayout([
  { name: 'time', typestr: '<i8' },
  { name: 'area', typestr: '<f4' },
  { name: 'type', typestr: '|i1' },
  { name: 'flag', typestr: '|b1' },
  { name: 'label', typestr: '|S4' },
  { name: 'wf', typestr: '<i2', shape: [3] },
  { name: 'grid', typestr: '<f8', shape: [2, 2] },
]);

function rows(n: number): Uint8Array {
  const bytes = new Uint8Array(n * layout.itemsize);
  const v = new RecordView(layout, bytes);
  for (let i = 0; i < n; i++) {
    v.set(i, 'time', 9007199254740993n + BigInt(i));
    v.set(i, 'area', i * 1.5);
    v.set(i, 'type', i % 3);
    v.set(i, 'flag', i % 2);
    bytes.set(Buffer.from('ab'), i * layout.itemsize + layout.field('label').offset);
    for (let j = 0; j < 3; j++) v.set(i, 'wf', i * 10 + j, j);
    for (let j = 0; j < 4; j++) v.set(i, 'grid', j + 0.25, j);
  }
  return bytes;
}

function select(expr: string, n = 12): number[] {
  const view = new RecordView(layout, rows(n));
  const keep = compileSelection(parseSelection(expr), layout)(view);
  return Array.from({ length: n }, (_, i) => i).filter(keep);
}

describe('selection', () => {
  test('and binds tighter than or; not applies to the comparison after it', () => {
    expect(select('type == 0 or type == 1 and area > 10')).toEqual([0, 3, 6, 7, 9, 10]);
    expect(select('(type == 0 or type == 1) and area > 10')).toEqual([7, 9, 10]);
    expect(select('not type == 0 and area < 6')).toEqual([1, 2]);
    expect(select('~(type == 0) & area < 6')).toEqual([1, 2]);
    expect(select('type != 0 && !(area >= 3) || area == 16.5')).toEqual([1, 11]);
  });

  test('numbers on either side, negatives, decimals, exponents and booleans', () => {
    expect(select('4.5 <= area')).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(select('area > -1e1 and area < .3e1')).toEqual([0, 1]);
    expect(select('flag == True')).toEqual([1, 3, 5, 7, 9, 11]);
  });

  test('int64 fields compare exactly beyond 2^53', () => {
    expect(select('time == 9007199254740994')).toEqual([1]);
    expect(select('time > 9007199254740995')).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  test.each([
    ['', /empty expression/],
    ['area >', /expected a field name or a number at the end/],
    ['area > 1 and', /expected a field name or a number at the end/],
    ['(area > 1', /expected "\)" at the end/],
    ['area > 1)', /unexpected "\)" at character 9/],
    ['area', /expected a comparison/],
    ['area = 1', /unexpected "=" at character 6/],
    ["__import__('os')", /unexpected "'" at character 12/],
    ['area > 1; type == 0', /unexpected ";" at character 9/],
    ['area.real > 1', /unexpected "\." at character 5/],
    ['area + 1 > 2', /unexpected "\+" at character 6/],
    ['area > "1"', /unexpected "\\"" at character 8/],
    ['- area > 1', /'-' must be followed by a number/],
    ['area > and', /expected a field name or a number at character 8, got "and"/],
    ['('.repeat(40) + 'area > 1' + ')'.repeat(40), /nested deeper than 32 levels/],
    ['x'.repeat(1001), /longer than 1000 characters/],
  ])('refuses %j', (expr, message) => {
    expect(() => parseSelection(expr)).toThrow(SelectionError);
    expect(() => parseSelection(expr)).toThrow(message);
  });

  test.each([
    ['missing > 1', /no field "missing" \(fields: time, area, type, flag, label, wf, grid\)/],
    ['label == 1', /field "label" is not a number \(\|S4\)/],
    ['wf > 1', /field "wf" is not a number \(<i2 × 3\)/],
  ])('refuses %j against the dtype', (expr, message) => {
    expect(() => compileSelection(parseSelection(expr), layout)).toThrow(message);
  });
});

describe('row encoders', () => {
  test('JSON writes every kind of field as microstrax does, in pieces that join to one array', () => {
    const chunks = [...jsonArrayChunks(layout, [rows(3).subarray(0, 2 * layout.itemsize), rows(3).subarray(2 * layout.itemsize)], 1)];
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.startsWith('[{"time":9007199254740993,')).toBe(true);
    const parsed = JSON.parse(text) as Record<string, unknown>[];
    expect(parsed).toHaveLength(3);
    expect(parsed[2]).toEqual({ time: 9007199254740996, area: 3, type: 2, flag: false, label: 'ab', wf: [20, 21, 22], grid: [[0.25, 1.25], [2.25, 3.25]] });
    expect(parsed[1]!.flag).toBe(true);
  });

  test('JSON writes NaN and infinities as null', () => {
    const bytes = rows(1);
    const v = new RecordView(layout, bytes);
    v.set(0, 'area', NaN);
    v.set(0, 'grid', -Infinity, 1);
    const parsed = JSON.parse(jsonText(layout, [bytes])) as Record<string, unknown>[];
    expect(parsed[0]!.area).toBeNull();
    expect(parsed[0]!.grid).toEqual([[0.25, null], [2.25, 3.25]]);
  });

  test('no rows is an empty JSON array', () => {
    expect(jsonText(layout, [])).toBe('[]');
  });

  test('the .npy header is padded to 64 bytes and names the dtype and row count', () => {
    const header = npyHeader(layout, 7);
    expect(header.length % 64).toBe(0);
    expect(header.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    expect(header.readUInt16LE(8)).toBe(header.length - 10);
    expect(header.subarray(10).toString('latin1')).toBe(`{'descr': ${layout.descr}, 'fortran_order': False, 'shape': (7,), }`.padEnd(header.length - 11) + '\n');
  });
});
