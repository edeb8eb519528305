import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatSummary } from '../api/types';
import { changesFolderCounts, ChatList, NO_FOLDER } from './chats.svelte';

function chat(id: string, minute: number, archived = false): ChatSummary {
  const at = new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
  return { id, title: id, pinned: false, archived, folder_id: null, tags: [], created_at: at, updated_at: at };
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

  it('asks for a folder’s or a tag’s chats, and keeps only those when chats change', async () => {
    const fetch = vi.fn().mockResolvedValue(page([], null));
    vi.stubGlobal('fetch', fetch);
    const filter = { folderId: 'f1' as string | null, tag: 'Café' as string | null };
    const list = new ChatList(false, () => filter);
    await list.reload();
    expect(fetch.mock.calls[0]![0]).toBe('/api/chats?limit=100&folder_id=f1&tag=Caf%C3%A9');
    list.upsert({ ...chat('in', 1), folder_id: 'f1', tags: ['cafe'] });
    list.upsert({ ...chat('untagged', 2), folder_id: 'f1' });
    list.upsert({ ...chat('elsewhere', 3), folder_id: 'f2', tags: ['Café'] });
    expect(list.items.map((c) => c.id)).toEqual(['in']);
    list.upsert({ ...chat('in', 4), folder_id: null, tags: ['cafe'] }); // moved out
    expect(list.items).toEqual([]);

    filter.folderId = NO_FOLDER;
    filter.tag = null;
    await list.reload();
    expect(fetch.mock.calls[1]![0]).toBe('/api/chats?limit=100&folder_id=none');
    list.upsert(chat('loose', 5));
    list.upsert({ ...chat('filed', 6), folder_id: 'f1' });
    expect(list.items.map((c) => c.id)).toEqual(['loose']);
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

describe('changesFolderCounts', () => {
  const loose = chat('a', 1);
  const filed = { ...loose, folder_id: 'work' };

  it('is true when a chat changes folder or is archived or unarchived', () => {
    expect(changesFolderCounts(loose, filed)).toBe(true);
    expect(changesFolderCounts(filed, { ...filed, folder_id: 'home' })).toBe(true);
    expect(changesFolderCounts(filed, { ...filed, archived: true })).toBe(true);
  });

  it('is false for a rename, a pin or a new reply', () => {
    expect(changesFolderCounts(filed, { ...filed, title: 'renamed', pinned: true, updated_at: 'later' })).toBe(false);
  });

  it('counts again for a chat not known here only when it is in a folder', () => {
    expect(changesFolderCounts(undefined, filed)).toBe(true);
    expect(changesFolderCounts(undefined, loose)).toBe(false);
  });
});
