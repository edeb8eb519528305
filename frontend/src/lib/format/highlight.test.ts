import { describe, expect, it } from 'vitest';
import { highlightRuns } from './highlight';

describe('highlightRuns', () => {
  it('marks the ranges and keeps the text between them', () => {
    expect(highlightRuns('the quick fox', [[4, 9]])).toEqual([
      { text: 'the ', hit: false },
      { text: 'quick', hit: true },
      { text: ' fox', hit: false },
    ]);
  });

  it('gives the whole snippet as one plain run without highlights', () => {
    expect(highlightRuns('plain', [])).toEqual([{ text: 'plain', hit: false }]);
    expect(highlightRuns('', [[0, 3]])).toEqual([]);
  });

  it('sorts, clamps and merges ranges', () => {
    expect(highlightRuns('abcdefgh', [[6, 99], [0, 2], [1, 3], [-4, 1]])).toEqual([
      { text: 'abc', hit: true },
      { text: 'def', hit: false },
      { text: 'gh', hit: true },
    ]);
  });

  it('merges touching ranges and drops empty or reversed ones', () => {
    expect(highlightRuns('abcdef', [[0, 2], [2, 4], [5, 5], [6, 5]])).toEqual([
      { text: 'abcd', hit: true },
      { text: 'ef', hit: false },
    ]);
  });

  it('counts code points as the server does, not UTF-16 units', () => {
    // "🙂 " is 2 code points but 3 UTF-16 units: the hit must still be "café".
    expect(highlightRuns('🙂 café ok', [[2, 6]])).toEqual([
      { text: '🙂 ', hit: false },
      { text: 'café', hit: true },
      { text: ' ok', hit: false },
    ]);
  });

  it('keeps markup as text', () => {
    const runs = highlightRuns('<b>bold</b>', [[3, 7]]);
    expect(runs.map((run) => run.text).join('')).toBe('<b>bold</b>');
    expect(runs[1]).toEqual({ text: 'bold', hit: true });
  });
});
