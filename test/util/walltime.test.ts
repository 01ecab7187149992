import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseWalltimeMinutes } from '../../src/util/walltime.js';

describe('wall time parsing (Slurm formats)', () => {
  it.each([
    ['90', 90],
    ['1:30', 2],
    ['90:00', 90],
    ['4:00:00', 240],
    ['0:0:59', 1],
    ['1-12', 2160],
    ['1-12:30', 2190],
    ['2-00:00:01', 2881],
  ])('%s is %i minutes', (text, minutes) => {
    expect(parseWalltimeMinutes(text)).toBe(minutes);
  });

  it.each(['', 'abc', '1h', '-5', '0', '0:00:00', '1:2:3:4'])('rejects %j with a ConfigError naming the option', (text) => {
    expect(() => parseWalltimeMinutes(text, 'time')).toThrow(ConfigError);
    expect(() => parseWalltimeMinutes(text, 'time')).toThrow(/^time: /);
  });
});
