import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Page, SearchHit } from '../api/types';
import { ChatSearch, type FetchHits } from './search.svelte';

function hit(id: string): SearchHit {
  const chat = { id, title: `Chat ${id}`, pinned: false, archived: false, folder_id: null, tags: [], created_at: '', updated_at: '' };
  return { chat, found: { message_id: null, snippet: chat.title, highlights: [] } };
}

interface Call {
  text: string;
  cursor: string | null;
  signal: AbortSignal;
  answer: (page: Page<SearchHit>) => void;
  fail: (error: Error) => void;
}

/** A fetcher whose answers the test gives, in any order. */
function scripted() {
  const calls: Call[] = [];
  const fetch: FetchHits = (text, cursor, signal) =>
    new Promise((answer, fail) => calls.push({ text, cursor, signal, answer, fail }));
  return { calls, fetch };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

describe('ChatSearch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('waits for a pause in typing, then asks once', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 150);
    search.type('kay');
    await vi.advanceTimersByTimeAsync(100);
    search.type('kaya');
    await vi.advanceTimersByTimeAsync(100);
    search.type('kayak');
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(calls.map((call) => call.text)).toEqual(['kayak']);
    calls[0]!.answer({ items: [hit('a'), hit('b')], next_cursor: null });
    await settle();
    expect(search.hits.map((h) => h.chat.id)).toEqual(['a', 'b']);
    expect(search.answered).toBe('kayak');
    expect(search.active).toBe(0);
    expect(search.loading).toBe(false);
  });

  it('aborts the request for an older query and ignores its late answer', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 10);
    search.type('old');
    await vi.advanceTimersByTimeAsync(10);
    search.type('new');
    await vi.advanceTimersByTimeAsync(10);
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[1]!.answer({ items: [hit('new')], next_cursor: null });
    calls[0]!.answer({ items: [hit('old')], next_cursor: null }); // out of order
    await settle();
    expect(search.hits.map((h) => h.chat.id)).toEqual(['new']);
    expect(search.answered).toBe('new');
  });

  it('loads more by cursor, for the query shown, without duplicates', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 0);
    search.type('term');
    await settle();
    calls[0]!.answer({ items: [hit('a'), hit('b')], next_cursor: 'c1' });
    await settle();
    search.active = 1;
    void search.more();
    expect(calls[1]).toMatchObject({ text: 'term', cursor: 'c1' });
    calls[1]!.answer({ items: [hit('b'), hit('c')], next_cursor: null });
    await settle();
    expect(search.hits.map((h) => h.chat.id)).toEqual(['a', 'b', 'c']);
    expect(search.active).toBe(1);
    expect(search.next).toBeNull();
    await search.more(); // nothing more
    expect(calls).toHaveLength(2);
  });

  it("shows the server's message for a bad query", async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 0);
    search.type('after:soon');
    await settle();
    calls[0]!.fail(new Error('`after:` takes a date like 2026-01-31.'));
    await settle();
    expect(search.error).toBe('`after:` takes a date like 2026-01-31.');
    expect(search.hits).toEqual([]);
    search.type('after:2026-01-01');
    await settle();
    calls[1]!.answer({ items: [hit('a')], next_cursor: null });
    await settle();
    expect(search.error).toBeNull();
  });

  it('clears: nothing typed, nothing shown, the request in flight aborted', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 0);
    search.type('word');
    await settle();
    search.type('   ');
    expect(search.on).toBe(false);
    expect(calls[0]!.signal.aborted).toBe(true);
    calls[0]!.answer({ items: [hit('late')], next_cursor: null });
    await settle();
    expect(search.hits).toEqual([]);
    expect(search.loading).toBe(false);
    expect(calls).toHaveLength(1);
  });

  it('answers at once when asked to (Enter pressed while typing)', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 150);
    search.type('kett');
    const flushed = search.flush();
    expect(calls.map((call) => call.text)).toEqual(['kett']);
    calls[0]!.answer({ items: [hit('k')], next_cursor: null });
    await flushed;
    expect(search.hits[search.active]?.chat.id).toBe('k');
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(1); // the pause that was pending asks nothing more
    await search.flush(); // nothing pending: at once
    expect(calls).toHaveLength(1);
  });

  it('ignores the AbortError of a request it gave up on', async () => {
    const { calls, fetch } = scripted();
    const search = new ChatSearch(fetch, 0);
    search.type('one');
    await settle();
    search.type('two');
    await settle();
    calls[0]!.fail(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    await settle();
    expect(search.error).toBeNull();
    expect(search.loading).toBe(true);
  });
});
