import { describe, expect, it } from 'vitest';
import type { KnowledgeSummary } from '../api/knowledge';
import { chosenKnowledge, knowledgeMeta, offeredKnowledge } from './knowledgeChoice';

const base = (id: string, name: string, permission = 'owner', file_count = 1): KnowledgeSummary => ({
  id,
  name,
  description: '',
  permission,
  file_count,
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
});

const bases = [base('a', 'Marsh field guide'), base('b', 'Recipes', 'read', 3), base('c', 'Old marsh notes', 'write', 0)];

describe('offeredKnowledge', () => {
  it('offers every base not chosen yet', () => {
    expect(offeredKnowledge(bases, [], '').map((b) => b.id)).toEqual(['a', 'b', 'c']);
    expect(offeredKnowledge(bases, ['a'], '').map((b) => b.id)).toEqual(['b', 'c']);
  });

  it('finds them by every word of the search, ignoring case', () => {
    expect(offeredKnowledge(bases, [], 'MARSH').map((b) => b.id)).toEqual(['a', 'c']);
    expect(offeredKnowledge(bases, [], '  notes marsh ').map((b) => b.id)).toEqual(['c']);
    expect(offeredKnowledge(bases, ['c'], 'notes')).toEqual([]);
  });
});

describe('chosenKnowledge', () => {
  it('names the chosen bases in the order chosen', () => {
    expect(chosenKnowledge(bases, ['c', 'a'], true)).toEqual([
      { id: 'c', name: 'Old marsh notes' },
      { id: 'a', name: 'Marsh field guide' },
    ]);
  });

  it('keeps one that is not among mine, so it can be removed', () => {
    expect(chosenKnowledge(bases, ['gone'], true)).toEqual([{ id: 'gone', name: 'A knowledge base you cannot open' }]);
    expect(chosenKnowledge([], ['a'], false)).toEqual([{ id: 'a', name: 'Loading…' }]);
  });
});

describe('knowledgeMeta', () => {
  it('counts files and says whose it is', () => {
    expect(bases.map(knowledgeMeta)).toEqual(['1 file · yours', '3 files · shared with you', '0 files · shared with you']);
  });
});
