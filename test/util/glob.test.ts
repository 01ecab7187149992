import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../src/util/glob.js';

describe('globMatcher', () => {
  it('* and ? stay within one folder, **/ spans folders, dots are literal', () => {
    const top = globMatcher(['*.json']);
    expect(top('run_info.json')).toBe(true);
    expect(top('raw_records/index.json')).toBe(false);
    expect(top('run_infoXjson')).toBe(false);
    const sub = globMatcher(['run_record/*', 'boot?.fcl']);
    expect(sub('run_record/settings.yaml')).toBe(true);
    expect(sub('run_record/deeper/x.yaml')).toBe(false);
    expect(sub('boot1.fcl')).toBe(true);
    expect(sub('boot12.fcl')).toBe(false);
    const deep = globMatcher(['**/*.fcl']);
    expect(deep('boot.fcl')).toBe(true);
    expect(deep('a/b/c.fcl')).toBe(true);
    expect(deep('a/b/c.fcl.bak')).toBe(false);
  });
});
