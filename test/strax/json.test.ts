import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePyJson, pyJsonDumps } from '../../src/strax/json/py-json.js';
import { pyFloatRepr } from '../../src/strax/json/py-float.js';
import { PyFloat, pyFloat } from '../../src/strax/json/values.js';
import { FIXTURES, manifest } from './fixtures.js';

describe('Python float repr', () => {
  it.each([
    [1e-5, '1e-05'], [1.5, '1.5'], [0.005, '0.005'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [60, '60.0'], [1, '1.0'],
    [0.0001, '0.0001'], [1e15, '1000000000000000.0'], [-0.25, '-0.25'], [2.2, '2.2'], [0.1 + 0.2, '0.30000000000000004'],
    [1795244794.4277415, '1795244794.4277415'], [-0, '-0.0'], [0, '0.0'], [1e100, '1e+100'], [123456789e-300, '1.23456789e-292'],
    [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [5e-324, '5e-324'],
  ])('prints %s as %s', (x, text) => {
    expect(pyFloatRepr(x)).toBe(text);
  });
});

describe('Python-compatible JSON', () => {
  it('keeps int64 exact and float tokens as floats', () => {
    const v = parsePyJson('{"t": 1712345678901234567, "f": 60.0, "g": 1e-05, "n": -3}') as Record<string, unknown>;
    expect(v.t).toBe(1712345678901234567n);
    expect(v.f).toBeInstanceOf(PyFloat);
    expect((v.f as PyFloat).text).toBe('60.0');
    expect(v.n).toBe(-3n);
    expect(pyJsonDumps(v as never)).toBe('{"t": 1712345678901234567, "f": 60.0, "g": 1e-05, "n": -3}');
  });

  it('writes ensure_ascii escapes in lowercase hex, with surrogate pairs beyond the BMP', () => {
    expect(pyJsonDumps('réglage \u007f \u2028 😀 "q" \\ \n\t\u0001')).toBe(
      '"r\\u00e9glage \\u007f \\u2028 \\ud83d\\ude00 \\"q\\" \\\\ \\n\\t\\u0001"',
    );
  });

  it('writes indent=4 with sorted keys, empty containers inline and no trailing newline', () => {
    const text = pyJsonDumps({ b: [1, pyFloat(2)], a: {}, c: [], d: { z: null, y: true } }, { indent: 4, sortKeys: true });
    expect(text).toBe('{\n    "a": {},\n    "b": [\n        1,\n        2.0\n    ],\n    "c": [],\n    "d": {\n        "y": true,\n        "z": null\n    }\n}');
  });

  it('reads Python bare NaN and Infinity', () => {
    const v = parsePyJson('[NaN, Infinity, -Infinity]') as PyFloat[];
    expect(v.map((x) => x.value)).toEqual([NaN, Infinity, -Infinity]);
    expect(pyJsonDumps(v)).toBe('[NaN, Infinity, -Infinity]');
  });

  it('rejects malformed text with the line of the error', () => {
    expect(() => parsePyJson('{\n "a": 1,\n "b": }')).toThrow(/line 3/);
    expect(() => parsePyJson('[1, 2')).toThrow();
    expect(() => parsePyJson('{"a": 1} x')).toThrow(/after the JSON value/);
  });

  it('round-trips every fixture metadata file byte for byte', () => {
    const files = [...manifest.datasets.map((d) => d.metadata_file), ...manifest.run_metadata.map((r) => r.path)];
    expect(files.length).toBe(11);
    for (const rel of files) {
      const text = fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
      expect(pyJsonDumps(parsePyJson(text), { indent: 4, sortKeys: true }), rel).toBe(text);
    }
  });
});
