// The WebAssembly kernels are compiled by V8's optimizing compiler from their first call (src/util/wasm.ts): a kernel's
// first call is a whole chunk, which baseline code would run to the end. Checked in a child process through V8's
// perf map, which names each compiled WebAssembly function with the tier that compiled it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');

/** The tiers of the WebAssembly functions compiled while a child runs a kernel of the built modules. */
function compiledTiers(): string[] {
  const script = `
    const { WasmRecords } = await import(${JSON.stringify(path.join(REPO, 'dist/strax/plugins/kernels/records-wasm.js'))});
    const { recordDtype } = await import(${JSON.stringify(path.join(REPO, 'dist/strax/dtype/standard.js'))});
    const { TimeBase } = await import(${JSON.stringify(path.join(REPO, 'dist/strax/plugins/kernels/fields.js'))});
    const wasm = WasmRecords.load(new Uint8Array(recordDtype(110).itemsize * 4), recordDtype(110), new TimeBase(0n));
    const intervals = { start: Float64Array.of(0, 10), end: Float64Array.of(5, 20) };
    console.log(JSON.stringify(Array.from(wasm.touchingCounts(intervals, intervals))));
  `;
  const child = spawnSync(process.execPath, ['--perf-basic-prof', '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  expect(JSON.parse(child.stdout)).toEqual([1, 1]); // the kernel ran
  const map = path.join(os.tmpdir(), `perf-${child.pid}.map`);
  try {
    return fs.readFileSync(map, 'utf8').split('\n').flatMap((line) => line.match(/wasm-function\[\d+\]-\d+-(\w+)/)?.[1] ?? []);
  } finally {
    fs.rmSync(map, { force: true });
  }
}

describe('WebAssembly kernels', () => {
  it('are compiled by the optimizing compiler from their first call, not by the baseline compiler', () => {
    const tiers = compiledTiers();
    expect(tiers.length).toBeGreaterThan(0);
    expect(tiers.filter((t) => t !== 'turbofan')).toEqual([]);
  });
});
