import { afterEach, describe, expect, it, vi } from 'vitest';
import { Pager } from './pager.svelte';

interface Row {
  id: string;
  n?: number;
}

function page(items: Row[], next: string | null): Response {
  return new Response(JSON.stringify({ items, next_cursor: next }), {
    headers: { 'Content-Type': 'application/json' },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe('Pager', () => {
  it('loads the first page with the filter, then the next with the cursor', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([{ id: 'b' }, { id: 'a' }], 'a'))
      .mockResolvedValueOnce(page([{ id: 'z' }], null));
    vi.stubGlobal('fetch', fetch);
    let role: string | null = 'pending';
    const pager = new Pager<Row>('/api/users', () => ({ role, q: null }), 2);
    await pager.reload();
    expect(pager.items.map((r) => r.id)).toEqual(['b', 'a']);
    expect(pager.next).toBe('a');
    await pager.more();
    expect(pager.items.map((r) => r.id)).toEqual(['b', 'a', 'z']);
    expect(pager.next).toBeNull();
    await pager.more(); // the end: nothing asked
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch.mock.calls[0]![0]).toBe('/api/users?role=pending&limit=2');
    expect(fetch.mock.calls[1]![0]).toBe('/api/users?role=pending&limit=2&cursor=a');

    role = null;
    fetch.mockResolvedValueOnce(page([{ id: 'q' }], null));
    await pager.reload();
    expect(fetch.mock.calls[2]![0]).toBe('/api/users?limit=2');
    expect(pager.items.map((r) => r.id)).toEqual(['q']);
  });

  it('keeps the error message and the items it had', async () => {
    const failing = new Response(JSON.stringify({ detail: 'Nope.' }), { status: 400 });
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(page([{ id: 'a' }], 'a')).mockResolvedValueOnce(failing));
    const pager = new Pager<Row>('/api/audit');
    await pager.reload();
    await pager.more();
    expect(pager.error).toBe('Nope.');
    expect(pager.items).toHaveLength(1);
  });

  it('ignores an answer that arrives after a newer reload', async () => {
    let release: (value: Response) => void = () => {};
    const slow = new Promise<Response>((resolve) => (release = resolve));
    const fetch = vi.fn().mockReturnValueOnce(slow).mockResolvedValueOnce(page([{ id: 'new' }], null));
    vi.stubGlobal('fetch', fetch);
    const pager = new Pager<Row>('/api/users');
    const first = pager.reload();
    await pager.reload();
    release(page([{ id: 'old' }], null));
    await first;
    expect(pager.items.map((r) => r.id)).toEqual(['new']);
  });

  it('replaces or drops one item', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(page([{ id: 'a', n: 1 }, { id: 'b', n: 1 }], null)));
    const pager = new Pager<Row>('/api/users');
    await pager.reload();
    pager.replace((r) => r.id === 'a', { id: 'a', n: 2 });
    expect(pager.items).toEqual([{ id: 'a', n: 2 }, { id: 'b', n: 1 }]);
    pager.replace((r) => r.id === 'b', null);
    expect(pager.items).toEqual([{ id: 'a', n: 2 }]);
  });
});
