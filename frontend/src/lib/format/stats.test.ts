import { describe, expect, it } from 'vitest';
import { replyStats } from './stats';

describe('replyStats', () => {
  it('is empty without usage', () => {
    expect(replyStats(null)).toEqual([]);
  });

  it('gives tokens, timings and the speed from the first token on', () => {
    const lines = replyStats({ prompt_tokens: 12, completion_tokens: 40, first_token_ms: 250, duration_ms: 2250 });
    expect(lines).toEqual([
      { label: 'Prompt tokens', value: '12' },
      { label: 'Completion tokens', value: '40' },
      { label: 'Time to first token', value: '250 ms' },
      { label: 'Total time', value: '2.25 s' },
      { label: 'Speed', value: '20.0 tokens/s' },
    ]);
  });

  it('leaves out what it does not know', () => {
    expect(replyStats({ duration_ms: 900 })).toEqual([{ label: 'Total time', value: '900 ms' }]);
    expect(replyStats({ completion_tokens: 10, duration_ms: 500, first_token_ms: 'x' })).toContainEqual({
      label: 'Speed',
      value: '20.0 tokens/s',
    });
  });
});
