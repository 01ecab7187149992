import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listData, verifyData } from '../../src/stages/data.js';
import { dataCommand } from '../../src/cli/commands/data.js';
import { OutcomeSlot } from '../../src/cli/outcome.js';
import { FIXTURES, copyFixture, manifest } from './fixtures.js';

describe('data ls', () => {
  for (const d of manifest.datasets) {
    it(`reports ${d.name} as the MANIFEST describes it`, () => {
      const summary = listData(path.join(FIXTURES, d.root));
      expect(summary.datasets).toHaveLength(1);
      const s = summary.datasets[0]!;
      expect({ run: s.run, dataType: s.dataType, hash: s.hash, state: s.state, chunks: s.chunks, rows: s.rows, compressor: s.compressor }).toEqual({
        run: d.run_id, dataType: d.data_type, hash: d.lineage_hash, state: d.complete ? 'complete' : 'crashed',
        chunks: d.n_chunks, rows: d.rows_per_chunk.reduce((a, b) => a + b, 0), compressor: d.compressor,
      });
      const files = (d as unknown as { files: { path: string }[] }).files.filter((f) => f.path.startsWith(d.path + '/'));
      expect(s.sizeOnDisk).toBe(files.reduce((a, f) => a + fs.statSync(path.join(FIXTURES, f.path)).size, 0));
    });
  }

  it('filters by run', () => {
    expect(listData(path.join(FIXTURES, 'records_blosc'), { run: '999999' }).datasets).toEqual([]);
  });
});

describe('data verify', () => {
  for (const d of manifest.datasets) {
    it(`${d.complete ? 'passes' : 'flags'} ${d.name}${d.complete ? ', and --deep reproduces the MANIFEST field sums' : ''}`, async () => {
      const summary = await verifyData(path.join(FIXTURES, d.root), { deep: true });
      const v = summary.datasets[0]!;
      if (!d.complete) {
        expect(v.ok).toBe(false);
        expect(summary.brokenFiles).toEqual([path.join(FIXTURES, d.metadata_file)]);
        expect(v.problems[0]!.problem).toMatch(/crashed: writer failed: RuntimeError: Digitizer readout failed/);
        return;
      }
      expect(v.problems).toEqual([]);
      expect(v.warnings).toEqual([]);
      expect(v.checkedChunks).toBe(d.n_chunks);
      expect(v.recomputedHash).toBe(d.lineage_hash);
      for (const [name, want] of Object.entries(d.expected.field_sums!)) {
        const got = v.fieldSums![name]!;
        if (/^-?\d+$/.test(want)) expect(got, name).toBe(want);
        else expect(Math.abs(Number(got) - Number(want)), name).toBeLessThanOrEqual(Math.abs(Number(want)) * 1e-12);
      }
    });
  }

  it('names every broken file: appended frame, truncated file, missing file', async () => {
    const root = copyFixture('records_lz4');
    const folder = path.join(root, '012345-records-z76fdyl6i3');
    const f0 = path.join(folder, 'records-z76fdyl6i3-000000');
    const f1 = path.join(folder, 'records-z76fdyl6i3-000001');
    const f2 = path.join(folder, 'records-z76fdyl6i3-000002');
    fs.appendFileSync(f0, fs.readFileSync(f0));
    fs.writeFileSync(f1, fs.readFileSync(f1).subarray(0, 500));
    fs.rmSync(f2);
    const summary = await verifyData(root);
    expect(summary.broken).toBe(1);
    expect(summary.brokenFiles).toEqual(expect.arrayContaining([f0, f1, f2]));
    const problems = summary.datasets[0]!.problems.map((p) => `${path.basename(p.file)}: ${p.problem}`).join('\n');
    expect(problems).toMatch(/000000: \d+ bytes follow the LZ4 end mark/);
    expect(problems).toMatch(/000001: truncated LZ4 frame/);
    expect(problems).toMatch(/000002: chunk file is missing/);
  });
});

describe('the data command module', () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const run = async (args: string[]) => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const slot = new OutcomeSlot();
    await yargs(args).option('json', { type: 'boolean', default: false }).command(dataCommand as never).strict().exitProcess(false).fail((m, e) => {
      throw e ?? new Error(m);
    }).parseAsync(args, { outcome: slot });
    const outcome = slot.take();
    return outcome && 'exitCode' in outcome ? outcome : undefined;
  };

  it('ls prints a table with one line per dataset', async () => {
    const outcome = await run(['data', 'ls', path.join(FIXTURES, 'records_empty_chunk_lz4')]);
    expect(outcome?.exitCode).toBe(0);
    expect(out.join('')).toMatch(/^RUN\s+DATA TYPE\s+HASH\s+STATE\s+CHUNKS\s+ROWS\s+SIZE\s+COMPRESSOR\n012346\s+records\s+z76fdyl6i3\s+complete\s+3\s+400\s+57\.7 kB\s+lz4\n$/);
  });

  it('verify throws exit 1 naming the broken file; --json hands the summary over with exit 1', async () => {
    await expect(run(['data', 'verify', path.join(FIXTURES, 'crashed_write')])).rejects.toMatchObject({
      exitCode: 1,
      shortMessage: expect.stringContaining(path.join(FIXTURES, manifest.datasets.find((d) => d.name === 'crashed_write')!.metadata_file)),
    });
    const outcome = await run(['data', 'verify', path.join(FIXTURES, 'records_zstd'), '--json', '--deep']);
    expect(outcome?.exitCode).toBe(0);
    expect((outcome?.json as { ok: number }).ok).toBe(1);
  });
});
