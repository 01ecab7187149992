import { describe, expect, it } from 'vitest';
import { abbreviate, describeRuns, formatAbbreviated, toGaps, toRanges } from '../../src/report/ranges.js';

describe('run ranges', () => {
  it('splits sorted runs into contiguous ranges and the gaps between them', () => {
    const ranges = toRanges([1, 2, 3, 5, 10, 11]);
    expect(ranges).toEqual([[1, 3], [5, 5], [10, 11]]);
    expect(toGaps(ranges)).toEqual([[4, 4], [6, 9]]);
    expect(toRanges([])).toEqual([]);
  });

  it('keeps the first and last five of a long list and counts the rest', () => {
    const runs = Array.from({ length: 30 }, (_, i) => i * 2);
    const list = abbreviate(toRanges(runs));
    expect(list).toMatchObject({ count: 30, omitted: 20 });
    expect(list.first.map((r) => r[0])).toEqual([0, 2, 4, 6, 8]);
    expect(list.last.map((r) => r[0])).toEqual([50, 52, 54, 56, 58]);
    expect(formatAbbreviated(list)).toBe('000000, 000002, 000004, 000006, 000008, … 20 more …, 000050, 000052, 000054, 000056, 000058');
  });

  it('describes a run set in one phrase', () => {
    expect(describeRuns([12100, 12101, 12102])).toBe('3 runs 012100–012102');
    expect(describeRuns([7])).toBe('1 run 000007');
    expect(describeRuns([1, 2, 9])).toBe('3 runs (000001–000002, 000009)');
  });
});
