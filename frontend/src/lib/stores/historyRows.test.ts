import { describe, expect, it } from 'vitest';
import type { ChatSummary } from '../api/types';
import { groupChats } from './grouping';
import { flattenGroups, HEADER_HEIGHT, nextChatRow, ROW_HEIGHT, RowLayout, sectionsOf } from './historyRows';

const NOW = new Date(2026, 5, 15, 12, 0);

function chats(count: number, pinned = -1): ChatSummary[] {
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(NOW.getTime() - i * 3 * 60 * 60 * 1000).toISOString();
    return { id: `c${i}`, title: `Chat ${i}`, pinned: i === pinned, archived: false, folder_id: null, tags: [], created_at: at, updated_at: at };
  });
}

describe('history rows', () => {
  it('puts a heading before each group', () => {
    const rows = flattenGroups(groupChats(chats(3, 1), NOW));
    expect(rows.map((row) => row.key)).toEqual(['group:Pinned', 'c1', 'group:Today', 'c0', 'c2']);
  });

  it('lays rows out by their fixed heights', () => {
    const layout = new RowLayout(flattenGroups(groupChats(chats(3), NOW)));
    expect(layout.total).toBe(HEADER_HEIGHT + 3 * ROW_HEIGHT);
    expect(layout.indexAt(0)).toBe(0);
    expect(layout.indexAt(HEADER_HEIGHT)).toBe(1);
    expect(layout.indexAt(HEADER_HEIGHT + ROW_HEIGHT - 1)).toBe(1);
    expect(layout.indexAt(1e9)).toBe(3);
  });

  it('shows only the rows in view plus the overscan, however long the list', () => {
    const layout = new RowLayout(flattenGroups(groupChats(chats(10_000), NOW)));
    const top = layout.offsets[5000]!;
    const shown = layout.window(top, 600, 8);
    expect(shown.end - shown.start).toBeLessThan(40);
    expect(shown.start).toBe(5000 - 8);
    expect(shown.before).toBe(layout.offsets[shown.start]);
    expect(shown.before + shown.after + (layout.offsets[shown.end]! - layout.offsets[shown.start]!)).toBe(layout.total);
    const last = layout.window(layout.total - 600, 600, 8);
    expect(last.end).toBe(layout.rows.length);
    expect(last.after).toBe(0);
  });

  it('has nothing to show for no chats', () => {
    expect(new RowLayout([]).window(0, 500, 5)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });

  it('steps from chat to chat over the headings', () => {
    const rows = flattenGroups(groupChats(chats(12), NOW)); // Today, then Previous 7 days
    const heading = rows.findIndex((row, i) => i > 0 && row.kind === 'header');
    expect(nextChatRow(rows, heading - 1, 1)).toBe(heading + 1);
    expect(nextChatRow(rows, heading + 1, -1)).toBe(heading - 1);
    expect(nextChatRow(rows, 1, -1)).toBe(-1);
    expect(nextChatRow(rows, rows.length - 1, 1)).toBe(-1);
  });

  it('names the group of rows whose heading scrolled away', () => {
    const rows = flattenGroups(groupChats(chats(12, 0), NOW)); // Pinned, Today, Previous 7 days
    const sections = sectionsOf(rows, 3, rows.length);
    expect(sections.map((s) => [s.label, s.heading])).toEqual([
      ['Today', null],
      ['Previous 7 days', rows.findIndex((row) => row.key === 'group:Previous 7 days')],
    ]);
    expect(sections[0]!.chats[0]).toEqual({ chat: expect.objectContaining({ id: 'c1' }), index: 3 });
  });
});
