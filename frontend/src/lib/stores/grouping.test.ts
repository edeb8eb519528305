import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '../api/types';
import { groupChats } from './grouping';

function chat(id: string, updated: string, pinned = false): ChatSummary {
  return { id, title: id, pinned, archived: false, folder_id: null, tags: [], created_at: updated, updated_at: updated };
}

describe('groupChats', () => {
  const now = new Date(2026, 5, 15, 14, 0, 0); // 15 June, 14:00 local time

  it('puts pinned chats first, then today, the previous 7 days and older', () => {
    const chats = [
      chat('this-morning', new Date(2026, 5, 15, 9).toISOString()),
      chat('pinned-old', new Date(2025, 0, 1).toISOString(), true),
      chat('yesterday', new Date(2026, 5, 14, 23, 59).toISOString()),
      chat('six-days', new Date(2026, 5, 9, 12).toISOString()),
      chat('eight-days', new Date(2026, 5, 7, 12).toISOString()),
    ];
    expect(groupChats(chats, now).map((g) => [g.label, g.chats.map((c) => c.id)])).toEqual([
      ['Pinned', ['pinned-old']],
      ['Today', ['this-morning']],
      ['Previous 7 days', ['yesterday', 'six-days']],
      ['Older', ['eight-days']],
    ]);
  });

  it('counts from local midnight and leaves out empty groups', () => {
    const justAfterMidnight = chat('a', new Date(2026, 5, 15, 0, 0, 1).toISOString());
    const justBefore = chat('b', new Date(2026, 5, 14, 23, 59, 59).toISOString());
    const groups = groupChats([justAfterMidnight, justBefore], now);
    expect(groups.map((g) => g.label)).toEqual(['Today', 'Previous 7 days']);
    expect(groupChats([], now)).toEqual([]);
  });
});
