import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Folder } from '../api/types';
import { Folders } from './folders.svelte';

function folder(id: string, parent: string | null): Folder {
  const at = '2026-01-01T12:00:00Z';
  return { id, name: id, parent_id: parent, chats: 0, archived_chats: 0, created_at: at, updated_at: at };
}

function json(value: unknown): Response {
  return new Response(JSON.stringify(value), { headers: { 'Content-Type': 'application/json' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('Folders.load', () => {
  it('never shows a list asked for before a change made meanwhile', async () => {
    vi.useFakeTimers();
    let answerStale: (response: Response) => void = () => {};
    const fetch = vi
      .fn()
      // 1: the list as it was, answered only after the move below
      .mockImplementationOnce(() => new Promise<Response>((resolve) => (answerStale = resolve)))
      // 2: the move
      .mockResolvedValueOnce(json(folder('inner', 'outer')))
      // 3: the list asked for again
      .mockResolvedValueOnce(json([folder('outer', null), folder('inner', 'outer')]));
    vi.stubGlobal('fetch', fetch);
    const folders = new Folders();
    folders.items = [folder('outer', null), folder('inner', null)];
    folders.loaded = true;

    const stale = folders.load();
    await folders.move('inner', 'outer');
    answerStale(json([folder('outer', null), folder('inner', null)]));
    await stale;
    expect(folders.find('inner')?.parent_id).toBe('outer'); // the stale list was dropped

    await vi.runAllTimersAsync();
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(folders.find('inner')?.parent_id).toBe('outer');
  });
});
