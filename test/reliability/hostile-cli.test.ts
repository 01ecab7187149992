// Hostile run ids, targets, paths and --set values given to the real CLI (property-based): a clear one-line error and exit 3,
// never a stack trace or an internal error, and never a command executed (a payload's canary file must not appear).
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTmpDir } from '../support/tmp.js';
import { FUZZ_FACTOR, hostileString, runs } from './fuzz.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const dir = makeTmpDir('daqflow-hostile-cli-');
const canary = path.join(dir, 'CANARY');
const configFile = path.join(dir, 'config.yaml');
fs.writeFileSync(configFile, `work_dir: ${dir}/work\nimport:\n  source_dirs: [${dir}/live]\n  settle_minutes: 0\narchive:\n  path: ${dir}/archive\nrechunk:\n  dest_dir: ${dir}/prod\n`);
fs.mkdirSync(path.join(dir, 'live'));
fs.mkdirSync(path.join(dir, 'archive'));

/** Payloads that would create the canary if any part of daqflow handed them to a shell. */
const payload = fc.oneof(
  hostileString(),
  fc.constantFrom('$(touch C)', '`touch C`', '; touch C', '| touch C', '&& touch C', '012100;touch C', '012100$(touch C)', "'; touch C; '", '"; touch C; "', '\ntouch C', '../../../../tmp/C', '012100/../../C').map((p) => p.replace('C', canary)),
).filter((s) => !s.includes('\0'));

const SET_KEY = 'auto_process.max_jobs_in_flight=';
const isPositiveInt = (v: string) => v.trim() !== '' && Number.isInteger(Number(v)) && Number(v) > 0;

type Invocation = { bin: 'daqflow' | 'straxer'; args: string[] };
/** Where a hostile value can go: run ids, runs lists, targets, --set values. Every one of them must be refused. */
const invocation: fc.Arbitrary<Invocation> = fc.tuple(fc.nat({ max: 9 }), payload).map(([i, p]): Invocation => {
  const forms: Invocation[] = [
    { bin: 'straxer', args: [p, '--target', 'event_info'] },
    { bin: 'straxer', args: ['012100', '--target', p] },
    { bin: 'daqflow', args: ['submit', p, '--target', 'event_info'] },
    { bin: 'daqflow', args: ['submit', '012100', '--target', p] },
    { bin: 'daqflow', args: ['import', p] },
    { bin: 'daqflow', args: ['migrate', p] },
    { bin: 'daqflow', args: ['rechunk', '--process', p] },
    { bin: 'daqflow', args: ['runs', 'show', p] },
    { bin: 'daqflow', args: ['fake-daq', '--runs', p] },
    { bin: 'daqflow', args: ['auto-process', '--set', `${SET_KEY}${p}`] },
  ];
  return forms[i]!;
});

/** A value the command could legitimately accept (digits, an identifier, a request for help): those runs are not refusals. */
const acceptable = (inv: Invocation) => inv.args.some((a) => a === '--help' || a === '-h') || inv.args.some((a) => /^\s*\d{1,9}\s*$/.test(a) && a !== '012100') || inv.args.some((a, i) => inv.args[i - 1] === '--target' && /^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(a) && a !== 'event_info') || inv.args.some((a) => a.startsWith(SET_KEY) && isPositiveInt(a.slice(SET_KEY.length)));

describe('hostile values on the command line', () => {
  it('an empty run or one made of dashes is refused, never read as "every run" (both used to start a full pass)', async () => {
    const cases = [['import', ''], ['import', '---'], ['rechunk', '--process', ''], ['submit', '------', '--target', 'event_info'], ['migrate', ',']];
    const results = await Promise.all(cases.map((args) => execa(process.execPath, [path.join(root, 'bin', 'daqflow.js'), '--config', configFile, '--dry-run', ...args], { cwd: dir, reject: false, env: { ...process.env, DAQFLOW_CONFIG: '' } })));
    results.forEach((r, i) => {
      expect(r.exitCode, `${JSON.stringify(cases[i])}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/^daqflow: error: (runs?: "[-, ]*" names no run|argument "-+" is neither an option nor a value)/);
    });
  }, 60_000);

  it('are refused with one line and exit 3; no command they carry is ever run', async () => {
    let refused = 0;
    await fc.assert(fc.asyncProperty(invocation, async (inv) => {
      if (acceptable(inv)) return;
      const r = await execa(process.execPath, [path.join(root, 'bin', `${inv.bin}.js`), '--config', configFile, '--dry-run', ...inv.args], {
        cwd: dir, reject: false, env: { ...process.env, DAQFLOW_CONFIG: '' }, timeout: 30_000,
      });
      const detail = `${inv.bin} ${JSON.stringify(inv.args)} → ${r.exitCode}\n${r.stderr}`;
      expect(r.exitCode, detail).toBe(3);
      const lines = r.stderr.trim().split('\n');
      expect(lines, detail).toHaveLength(1);
      expect(lines[0], detail).toMatch(/^(daqflow|straxer): error: /);
      expect(r.stderr, detail).not.toMatch(/\n\s+at |Error: .*\n/);
      expect(fs.existsSync(canary), detail).toBe(false);
      refused++;
    }), runs(30));
    expect(refused).toBeGreaterThan(0);
    expect(fs.existsSync(canary)).toBe(false);
  }, 300_000 * FUZZ_FACTOR);
});
