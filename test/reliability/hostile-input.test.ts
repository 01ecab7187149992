// Hostile input to the pure parsers (property-based): scheduler outputs, config files, run-record files, run ids, targets and
// paths. Every input is either parsed or refused with a daqflow error of one line; nothing else may escape, and nothing hangs.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseQstatF, parseQsubOutput, mapPbsState } from '../../src/batch/pbs-parse.js';
import { expandArrayIds, mapSlurmState, parseExitCode, parseSacct, parseSbatchOutput, parseScontrolShowJob, parseSqueue } from '../../src/batch/slurm-parse.js';
import { configFromObject } from '../../src/config/load.js';
import { parseConfigFile } from '../../src/config/read-file.js';
import { ConfigError } from '../../src/errors.js';
import { readRecordFile, RecordFileError, runFields } from '../../src/stages/import/records.js';
import { parseRunId, parseRunList, safeJoin, validateTarget } from '../../src/util/validate.js';
import { makeTmpDir } from '../support/tmp.js';
import { hostileString, parsesOrRefuses, parsesOrRefusesAsync, runs } from './fuzz.js';

const lines = (line: fc.Arbitrary<string>) => fc.array(line, { maxLength: 30 }).map((ls) => ls.join('\n'));
const word = fc.stringMatching(/^[A-Za-z0-9_.:()/+-]{0,20}$/);
const jobId = fc.oneof(fc.nat({ max: 1e9 }).map(String), fc.tuple(fc.nat({ max: 1e6 }), fc.nat({ max: 1e6 })).map(([a, b]) => `${a}_${b}`),
  fc.tuple(fc.nat({ max: 1e6 }), fc.array(fc.tuple(fc.nat({ max: 2e9 }), fc.oneof(fc.nat({ max: 50 }), fc.nat({ max: 2e9 }))), { minLength: 1, maxLength: 4 }))
    .map(([base, rs]) => `${base}_[${rs.map(([a, d]) => `${a}-${a + d}`).join(',')}]`));

describe('scheduler outputs', () => {
  it('squeue: any text is parsed into rows or refused; at most Slurm\'s largest array per id', () => {
    fc.assert(fc.property(fc.oneof(hostileString(), lines(fc.tuple(jobId, fc.constantFrom('PENDING', 'RUNNING', 'x', ''), word).map((t) => t.join(' ')))), (text) => {
      const rows = parsesOrRefuses(() => parseSqueue(text));
      if (rows) expect(rows.length).toBeLessThanOrEqual(text.split('\n').length * 4_000_001);
    }), runs(300));
  });

  it('expandArrayIds never expands more than MaxArraySize tasks (a hostile range cannot exhaust memory)', () => {
    fc.assert(fc.property(jobId, (id) => {
      const ids = parsesOrRefuses(() => expandArrayIds(id));
      if (ids) expect(ids.length).toBeLessThanOrEqual(4_000_001);
    }), runs(200));
  });

  it('squeue rows written as Slurm prints them are read back exactly', () => {
    const row = fc.record({ id: fc.nat({ max: 1e9 }).map(String), state: fc.constantFrom('PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'), reason: fc.stringMatching(/^[A-Za-z(),]{0,20}$/) });
    fc.assert(fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
      const text = rows.map((r) => `${r.id} ${r.state} ${r.reason}`).join('\n');
      expect(parseSqueue(text)).toEqual(rows);
    }), runs(200));
  });

  it('sacct -P / -c, scontrol show job, sbatch: any text is parsed or refused', () => {
    const sacctLine = fc.tuple(jobId, word, fc.constantFrom('COMPLETED', 'FAILED', 'CANCELLED by 0', 'OUT_OF_ME+', ''), fc.constantFrom('0:0', '1:9', 'x', '')).map((t) => t.join('|'));
    const scontrolLine = fc.array(fc.tuple(word, hostileString()).map(([k, v]) => `${k}=${v}`), { maxLength: 8 }).map((kv) => kv.join(' '));
    fc.assert(fc.property(fc.oneof(hostileString(), lines(sacctLine), lines(scontrolLine)), (text) => {
      for (const row of parsesOrRefuses(() => parseSacct(text)) ?? []) {
        expect(typeof mapSlurmState(row.state)).toBe('string');
        parseExitCode(row.exitCode);
      }
      parsesOrRefuses(() => parseScontrolShowJob(text));
      parsesOrRefuses(() => parseSbatchOutput(text));
      mapSlurmState(text);
    }), runs(300));
  });

  it('scontrol show job stays linear on long lines', () => {
    const long = `JobId=1 Command=${'a '.repeat(100_000)}JobState=RUNNING`;
    const t0 = performance.now();
    const [job] = parseScontrolShowJob(long);
    expect([job!.JobId, job!.JobState, job!.Command!.length]).toEqual(['1', 'RUNNING', 199_999]);
    // 200 000 characters: linear is milliseconds; quadratic backtracking is minutes.
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('qstat -f and qsub: any text is parsed or refused; records written as PBS prints them are read back', () => {
    const attr = fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,15}$/), fc.stringMatching(/^[^\n]{0,40}$/));
    const record = fc.tuple(fc.stringMatching(/^[0-9]{1,7}(\[\d{0,3}\])?\.[a-z]{1,8}$/), fc.uniqueArray(attr, { selector: ([k]) => k, maxLength: 8 }));
    fc.assert(fc.property(fc.oneof(hostileString(), lines(fc.oneof(word, hostileString()))), (text) => {
      for (const rec of parsesOrRefuses(() => parseQstatF(text)) ?? []) for (const flavor of ['openpbs', 'torque', 'slurm'] as const) parsesOrRefuses(() => mapPbsState(rec, flavor));
      parsesOrRefuses(() => parseQsubOutput(text));
    }), runs(300));
    fc.assert(fc.property(fc.array(record, { maxLength: 5 }), (recs) => {
      const text = recs.map(([id, attrs]) => `Job Id: ${id}\n${attrs.map(([k, v]) => `    ${k} = ${v}`).join('\n')}\n`).join('\n');
      const parsed = parseQstatF(text);
      expect(parsed.map((r) => r.jobId)).toEqual(recs.map(([id]) => id));
      parsed.forEach((r, i) => expect(r.attributes).toEqual(Object.fromEntries(recs[i]![1].map(([k, v]) => [k, v.trim()]))));
    }), runs(200));
  });
});

describe('config files', () => {
  const dir = makeTmpDir();
  const env = { HOME: dir };
  it('any YAML text: loaded or refused with ConfigError naming the file, never another error', () => {
    const yamlish = fc.oneof(
      hostileString(),
      fc.jsonValue().map((v) => YAML.stringify(v)),
      fc.dictionary(fc.constantFrom('work_dir', 'pass', 'retry', 'rundb', 'import', 'archive', 'scheduler', 'auto_process', 'rechunk', 'x'), fc.jsonValue()).map((v) => YAML.stringify(v)),
      fc.constantFrom('a: &a [*a]', 'a: !!binary x', 'a: !!js/function "f(){}"', '<<: *nope', 'work_dir: ${HOME:?unset}', 'pass: {concurrency: 1e309}', '\ufeffwork_dir: x', 'a: b\n\ta: c'),
    );
    let n = 0;
    fc.assert(fc.property(yamlish, (text) => {
      const file = path.join(dir, `c${n++}.yaml`);
      fs.writeFileSync(file, text);
      const parsed = parsesOrRefuses(() => parseConfigFile(file), [ConfigError]);
      if (!parsed || parsed.problems.length > 0) {
        for (const p of parsed?.problems ?? []) expect(p).not.toMatch(/\n/);
        return;
      }
      parsesOrRefuses(() => configFromObject(parsed.raw, { source: file, baseDir: dir, cwd: dir, env }), [ConfigError]);
    }), runs(300));
  });

  it('a recursive YAML alias is refused naming the key (it used to overflow the stack)', () => {
    const file = path.join(dir, 'cycle.yaml');
    fs.writeFileSync(file, 'pass:\n  x: &a [1, *a]\n');
    expect(parseConfigFile(file).problems).toEqual(['cycle.yaml: pass.x.1: an alias refers to a node that contains it (a cycle); write the value out instead']);
  });

  it('keys named like Object.prototype members are unknown keys, not a crash (toString used to throw a TypeError)', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', '__defineGetter__']) {
      expect(() => configFromObject({ pass: { [key]: [1] } }, { baseDir: dir, cwd: dir, env })).toThrow(ConfigError);
    }
  });

  it('schema-shaped values of the wrong kind in every section are refused with the dotted key', () => {
    const section = fc.constantFrom('pass', 'retry', 'rundb', 'import', 'archive', 'scheduler', 'auto_process', 'rechunk', 'storage', 'processing', 'clean', 'notify');
    fc.assert(fc.property(section, fc.string({ maxLength: 12 }), fc.jsonValue(), (sec, key, value) => {
      try {
        configFromObject({ [sec]: { [key]: value } }, { baseDir: dir, cwd: dir, env });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems.join('\n')).toContain(sec);
      }
    }), runs(300));
  });
});

describe('run-record files', () => {
  const dir = makeTmpDir();
  it('any bytes as .json/.yaml/.fcl/.txt: parsed, kept verbatim, or refused naming the file', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(fc.constantFrom('json', 'yaml', 'yml', 'fcl', 'txt'), fc.oneof(hostileString(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))), async (ext, text) => {
      const abs = path.join(dir, `r${n++}.${ext}`);
      fs.writeFileSync(abs, text, 'latin1');
      const value = await parsesOrRefusesAsync(() => readRecordFile({ abs, name: path.basename(abs), size: text.length, mtimeMs: 0 } as never), [RecordFileError]);
      if (value === undefined && !['json', 'yaml', 'yml'].includes(ext)) throw new Error('a verbatim file was refused');
      runFields(new Map([[path.basename(abs), value]]));
    }), runs(200));
  });
});

describe('run ids, targets and paths', () => {
  it('a run id is digits only; anything with a shell metacharacter or traversal is refused', () => {
    fc.assert(fc.property(hostileString(), (text) => {
      const n = parsesOrRefuses(() => parseRunId(text), [ConfigError]);
      if (n !== undefined) expect(text.trim()).toMatch(/^\d{1,9}$/);
      const list = parsesOrRefuses(() => parseRunList([text]), [ConfigError]);
      if (list) expect(list.every((r) => Number.isInteger(r) && r >= 0)).toBe(true);
      const t = parsesOrRefuses(() => validateTarget(text), [ConfigError]);
      if (t !== undefined) expect(t).toMatch(/^[A-Za-z_][A-Za-z0-9_]*\*?$/);
    }), runs(500));
  });

  it('a runs list that names no run is refused, never read as "every run" (`--process "$RUN"` with RUN unset)', () => {
    for (const items of [[''], [' '], [','], ['', ' , ']]) expect(() => parseRunList(items), JSON.stringify(items)).toThrow(ConfigError);
    expect(parseRunList([])).toEqual([]);
  });

  it('safeJoin never leaves its root', () => {
    const root = '/srv/data/root';
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'a', '..\\..', '%2e%2e', '\0'), fc.string({ maxLength: 6 }));
    fc.assert(fc.property(fc.array(segment, { maxLength: 8 }).map((s) => s.join('/')), (rel) => {
      const joined = parsesOrRefuses(() => safeJoin(root, rel), [ConfigError]);
      if (joined !== undefined) expect(joined === root || joined.startsWith(root + '/')).toBe(true);
    }), runs(500));
  });
});
