import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '../api/types';
import { chatFilterMatches } from './chatFilter';

const chat = (id: string, title: string): ChatSummary => ({
  id,
  title,
  pinned: false,
  archived: false,
  folder_id: null,
  tags: [],
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
});

const CHATS = [chat('a', 'Trip to Lisbon'), chat('b', 'Sourdough starter'), chat('c', 'Lisbon food list')];

describe('chatFilterMatches', () => {
  it('keeps every chat for an empty or blank filter', () => {
    expect(chatFilterMatches(CHATS, '')).toHaveLength(3);
    expect(chatFilterMatches(CHATS, '   ')).toHaveLength(3);
  });

  it('matches every word, in any order and case', () => {
    expect(chatFilterMatches(CHATS, 'lisbon').map((c) => c.id)).toEqual(['a', 'c']);
    expect(chatFilterMatches(CHATS, 'LIST lisbon').map((c) => c.id)).toEqual(['c']);
    expect(chatFilterMatches(CHATS, 'starter dough').map((c) => c.id)).toEqual(['b']);
  });

  it('finds nothing when a word is missing', () => {
    expect(chatFilterMatches(CHATS, 'lisbon porto')).toEqual([]);
  });
});
