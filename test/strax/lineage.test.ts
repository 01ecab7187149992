import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deterministicHash, deterministicHashDetails, hashJsonText, hashInputJson } from '../../src/strax/lineage.js';
import { parsePyJson } from '../../src/strax/json/py-json.js';
import { pyFloat, type PyJson, type PyJsonObject } from '../../src/strax/json/values.js';
import { FIXTURES, manifest } from './fixtures.js';

/** Rebuild a lineage with Python float-ness from its Python repr (the MANIFEST's JSON form loses 60.0 → 60). */
function fromPythonRepr(repr: string): PyJson {
  const json = repr
    .replace(/\(/g, '[').replace(/\)/g, ']')
    .replace(/'/g, '"')
    .replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null');
  return parsePyJson(json);
}

const pyManifest = parsePyJson(fs.readFileSync(path.join(FIXTURES, 'MANIFEST.json'), 'utf8')) as PyJsonObject;
function pyManifestExample(label: string): PyJsonObject {
  return (pyManifest.lineage_hash_examples as PyJsonObject[]).find((e) => e.label === label)!;
}

describe('deterministic_hash', () => {
  it('reproduces the worked examples of STRAX_FORMAT §5.3', () => {
    const lineage = { records: ['Records', '0.0.0', { crash: false, dummy_tracked_option: 42 }] } as PyJson;
    const d = deterministicHashDetails(lineage);
    expect(d.json).toBe('[["records", ["Records", "0.0.0", [["crash", false], ["dummy_tracked_option", 42]]]]]');
    expect(d.sha1).toBe('4eda3d1521442c6ba5abd36e6de145c517f66c78');
    expect(d.base32).toBe('J3ND2FJBIQWGXJNL2NXG3YKFYUL7M3DY');
    expect(d.hash).toBe('j3nd2fjbiq');
    const x: PyJsonObject = { x: ['X', '1.2.3', { gain: 1e-5, one: pyFloat(1), big: pyFloat(1e16), i: 1, neg: -0.5, tup: [1, 2], none: null, s: 'é' }] };
    expect(hashInputJson(x)).toBe(
      '[["x", ["X", "1.2.3", [["big", 1e+16], ["gain", 1e-05], ["i", 1], ["neg", -0.5], ["none", null], ["one", 1.0], ["s", "\\u00e9"], ["tup", [1, 2]]]]]]',
    );
    expect(deterministicHash(x)).toBe('o5xa5hhqxo');
    expect(deterministicHash({ x: ['X', '1.2.3', { one: 1 }] })).toBe('xensfxlgkd');
    expect(deterministicHash({ x: ['X', '1.2.3', { one: pyFloat(1) }] })).toBe('kwvighzf3p');
  });

  it('hashes the superrun example', () => {
    expect(deterministicHash([{ '000001': { start: 0, end: 10 } }, false])).toBe('pkg5t63yt5');
  });

  for (const ex of manifest.lineage_hash_examples) {
    it(`matches MANIFEST example: ${ex.label}`, () => {
      const fromText = hashJsonText(ex.hash_input_json);
      expect(fromText.sha1).toBe(ex.sha1_hex);
      expect(fromText.base32).toBe(ex.base32);
      expect(fromText.hash).toBe(ex.lineage_hash);
      const repr = (ex as unknown as { lineage_python_repr: string }).lineage_python_repr;
      if (ex.lineage !== null) {
        const lineage = fromPythonRepr(repr);
        expect(hashInputJson(lineage)).toBe(ex.hash_input_json);
        expect(deterministicHash(lineage)).toBe(ex.lineage_hash);
        // The MANIFEST is Python-written JSON: read with our reader, 60.0 stays a float, as in Python's round trip.
        expect(deterministicHash(pyManifestExample(ex.label).lineage!)).toBe(ex.hash_after_json_roundtrip);
      } else {
        // int dict keys only exist live in Python; after a JSON round trip the keys are strings and sort differently.
        expect(deterministicHash({ x: ['X', '1.0.0', { m: { '0': 1, '10': 2, '2': 3 } }] })).toBe(ex.hash_after_json_roundtrip);
      }
    });
  }

  it('recomputes every stored lineage_hash from the metadata text (60.0 keeps its .0)', () => {
    for (const d of manifest.datasets) {
      const md = parsePyJson(fs.readFileSync(path.join(FIXTURES, d.metadata_file), 'utf8')) as PyJsonObject;
      expect(deterministicHash(md.lineage!), d.name).toBe(md.lineage_hash);
      expect(d.folder_name.endsWith(String(md.lineage_hash))).toBe(true);
    }
  });
});
