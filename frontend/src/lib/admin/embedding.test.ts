import { describe, expect, it } from 'vitest';
import { reembedding } from './embedding';

describe('reembedding', () => {
  it('says how many files are waiting', () => {
    expect([reembedding(undefined), reembedding(0), reembedding(1), reembedding(2500)]).toEqual([
      '',
      '',
      '1 file being re-embedded',
      '2,500 files being re-embedded',
    ]);
  });
});
