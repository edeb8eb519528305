import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatSummary } from '../api/types';
import { ChatList } from './chats.svelte';

function chat(id: string, minute: number, archived = false): ChatSummary {
  const at = new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
  return { id, title: id, pinned: false, archived, created_at: at, updated_at: at };
}

function page(items: ChatSummary[], next: string | null): Response {
  return new Response(JSON.stringify({ items, next_cursor: next }), {
    headers: { 'Content-Type': 'application/json' },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('ChatList', () => {
  it('loads page after page with the cursor, until there is none', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([chat('c', 3), chat('b', 2)], 'cur-1'))
      .mockResolvedValueOnce(page([chat('a', 1)], null));
    vi.stubGlobal('fetch', fetch);
    const list = new ChatList();
    await list.reload();
    expect(list.items.map((c) => c.id)).toEqual(['c', 'b']);
    expect(list.done).toBe(false);
    await list.more();
    expect(list.items.map((c) => c.id)).toEqual(['c', 'b', 'a']);
    expect(list.done).toBe(true);
    await list.more(); // nothing more to ask for
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch.mock.calls[0]![0]).toBe('/api/chats?limit=100');
    expect(fetch.mock.calls[1]![0]).toBe('/api/chats?limit=100&cursor=cur-1');
  });

  it('asks for archived chats in the archived list', async () => {
    const fetch = vi.fn().mockResolvedValue(page([], null));
    vi.stubGlobal('fetch', fetch);
    await new ChatList(true).reload();
    expect(fetch.mock.calls[0]![0]).toBe('/api/chats?limit=100&archived=true');
  });

  it('keeps newest activity first when a chat changes, and drops it when archived', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(page([chat('b', 2), chat('a', 1)], null)));
    const list = new ChatList();
    await list.reload();
    list.upsert(chat('a', 5));
    expect(list.items.map((c) => c.id)).toEqual(['a', 'b']);
    list.upsert(chat('new', 4));
    expect(list.items.map((c) => c.id)).toEqual(['a', 'new', 'b']);
    list.upsert(chat('a', 6, true));
    expect(list.items.map((c) => c.id)).toEqual(['new', 'b']);
    list.remove('b');
    expect(list.items.map((c) => c.id)).toEqual(['new']);
  });

  it('shows the error and can try again', async () => {
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValueOnce(new Response(JSON.stringify({ detail: 'Down.' }), { status: 503 }))
        .mockResolvedValueOnce(page([chat('a', 1)], null)),
    );
    const list = new ChatList();
    await list.reload();
    expect(list.error).toBe('Down.');
    await list.more();
    expect(list.error).toBeNull();
    expect(list.items).toHaveLength(1);
  });
});
