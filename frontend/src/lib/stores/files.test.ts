import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FilePublic } from '../api/files';
import { FileLibrary, isActive, kindLabel, statusLabel } from './files.svelte';

function file(id: string, fields: Partial<FilePublic> = {}): FilePublic {
  return {
    id,
    name: `${id}.md`,
    size: 120,
    content_type: 'text/markdown',
    kind: 'markdown',
    status: 'ready',
    progress: 100,
    error: null,
    chunk_count: 3,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    ...fields,
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

const page = (items: FilePublic[], next: string | null) => json({ items, next_cursor: next });

/** A stand-in for XMLHttpRequest that answers with what the test scripted. */
class FakeXhr {
  static answers: { status: number; body: unknown }[] = [];
  static sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = [];
  upload: { onprogress: ((event: ProgressEvent) => void) | null; onload: (() => void) | null } = { onprogress: null, onload: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  responseType = '';
  status = 0;
  responseText = '';
  private request = { method: '', url: '', headers: {} as Record<string, string>, body: null as unknown };

  open(method: string, url: string) {
    this.request = { ...this.request, method, url };
  }
  setRequestHeader(name: string, value: string) {
    this.request.headers[name] = value;
  }
  send(body: unknown) {
    this.request.body = body;
    FakeXhr.sent.push(this.request);
    const answer = FakeXhr.answers.shift() ?? { status: 500, body: {} };
    queueMicrotask(() => {
      this.upload.onprogress?.({ loaded: 50, total: 100, lengthComputable: true } as ProgressEvent);
      this.upload.onload?.();
      this.status = answer.status;
      this.responseText = JSON.stringify(answer.body);
      this.onload?.();
    });
  }
  abort() {
    this.onabort?.();
  }
}

/** Lets queued promises (fetch answers, uploads) settle. */
async function settle(rounds = 10) {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

beforeEach(() => {
  FakeXhr.answers = [];
  FakeXhr.sent = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('labels', () => {
  it('words the status chip and the kind', () => {
    expect(statusLabel(file('a', { status: 'pending', progress: 0 }))).toBe('Queued');
    expect(statusLabel(file('a', { status: 'processing', progress: 42 }))).toBe('Reading 42%');
    expect(statusLabel(file('a', { status: 'ready', chunk_count: 12 }))).toBe('Ready · 12 passages');
    expect(statusLabel(file('a', { status: 'ready', chunk_count: 1 }))).toBe('Ready · 1 passage');
    expect(statusLabel(file('a', { status: 'failed' }))).toBe('Failed');
    expect(kindLabel('docx')).toBe('Word');
    expect(kindLabel(null)).toBe('');
    expect(isActive({ status: 'processing' })).toBe(true);
    expect(isActive({ status: 'failed' })).toBe(false);
  });
});

describe('FileLibrary paging', () => {
  it('loads the first page, then the next with the cursor, without doubles', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([file('c'), file('b')], 'b'))
      .mockResolvedValueOnce(page([file('b'), file('a')], null));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary({ pageSize: 2 });
    await library.open();
    expect(library.items.map((f) => f.id)).toEqual(['c', 'b']);
    expect(library.next).toBe('b');
    await library.more();
    expect(library.items.map((f) => f.id)).toEqual(['c', 'b', 'a']);
    expect(library.next).toBeNull();
    await library.more(); // the end: nothing asked
    expect(fetch.mock.calls.map((call) => call[0])).toEqual(['/api/files?limit=2', '/api/files?limit=2&cursor=b']);
    expect(library.pollingActive).toBe(false); // nothing being read
    library.close();
  });

  it('keeps the error message of a failed page', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(json({ detail: 'The database is busy.' }, 503)));
    const library = new FileLibrary();
    await library.open();
    expect(library.error).toBe('The database is busy.');
    expect(library.loaded).toBe(false);
    library.close();
  });
});

describe('FileLibrary polling', () => {
  it('asks about files being read until none is, then stops', async () => {
    vi.useFakeTimers();
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([file('a', { status: 'pending', progress: 0 }), file('b')], null))
      .mockResolvedValueOnce(json(file('a', { status: 'processing', progress: 40 })))
      .mockResolvedValueOnce(json(file('a', { status: 'ready', chunk_count: 7 })));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary({ minDelay: 1000, maxDelay: 8000 });
    await library.open();
    expect(library.pollingActive).toBe(true);

    await vi.advanceTimersByTimeAsync(1000);
    expect(fetch.mock.calls[1]![0]).toBe('/api/files/a'); // only the one being read
    expect(statusLabel(library.items[0]!)).toBe('Reading 40%');

    await vi.advanceTimersByTimeAsync(1000);
    expect(statusLabel(library.items[0]!)).toBe('Ready · 7 passages');
    expect(library.announcement).toBe('a.md is ready: 7 passages.');
    expect(library.pollingActive).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetch).toHaveBeenCalledTimes(3);
    library.close();
  });

  it('waits longer each time nothing moved, up to the longest pause', async () => {
    vi.useFakeTimers();
    const stuck = file('a', { status: 'processing', progress: 10 });
    const fetch = vi.fn().mockResolvedValueOnce(page([stuck], null));
    fetch.mockImplementation(() => Promise.resolve(json(stuck)));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary({ minDelay: 1000, maxDelay: 4000 });
    await library.open();
    const times: number[] = [];
    const start = Date.now();
    fetch.mockImplementation(() => {
      times.push(Date.now() - start);
      return Promise.resolve(json(stuck));
    });
    await vi.advanceTimersByTimeAsync(20_000);
    // 1 s, then 2 s, then 4 s, 4 s, … after the page.
    expect(times.slice(0, 5)).toEqual([1000, 3000, 7000, 11000, 15000]);
    library.close();
  });

  it('stops asking when the screen closes', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn().mockResolvedValueOnce(page([file('a', { status: 'pending', progress: 0 })], null));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary({ minDelay: 1000 });
    await library.open();
    expect(library.pollingActive).toBe(true);
    library.close();
    expect(library.pollingActive).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('drops a file deleted elsewhere and shows a failure with its reason', async () => {
    vi.useFakeTimers();
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([file('a', { status: 'pending' }), file('b', { status: 'processing', progress: 5 })], null))
      .mockResolvedValueOnce(json({ detail: 'That file does not exist.' }, 404))
      .mockResolvedValueOnce(json(file('b', { status: 'failed', error: 'The PDF is encrypted.' })));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary({ minDelay: 500 });
    await library.open();
    await vi.advanceTimersByTimeAsync(500);
    expect(library.items.map((f) => f.id)).toEqual(['b']);
    expect(library.items[0]!.error).toBe('The PDF is encrypted.');
    expect(library.announcement).toBe('b.md could not be read. The PDF is encrypted.');
    expect(library.pollingActive).toBe(false);
    library.close();
  });
});

describe('FileLibrary uploads', () => {
  it('sends files one after another as multipart, adds them, and watches them', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn().mockResolvedValueOnce(page([], null));
    vi.stubGlobal('fetch', fetch);
    FakeXhr.answers = [
      { status: 201, body: file('one', { status: 'pending', progress: 0 }) },
      { status: 201, body: file('two', { status: 'pending', progress: 0 }) },
    ];
    const library = new FileLibrary({ minDelay: 1000 });
    await library.open();
    library.upload([new File(['# One'], 'one.md'), new File(['# Two'], 'two.md')]);
    expect(library.transfers.map((t) => t.state)).toEqual(['sending', 'waiting']);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(library.transfers).toEqual([]);
    expect(library.items.map((f) => f.id)).toEqual(['two', 'one']);
    expect(FakeXhr.sent).toHaveLength(2);
    const first = FakeXhr.sent[0]!;
    expect([first.method, first.url, first.headers['X-Confide-CSRF']]).toEqual(['POST', '/api/files', '1']);
    expect((first.body as FormData).get('file')).toBeInstanceOf(File);
    expect(((first.body as FormData).get('file') as File).name).toBe('one.md');
    expect(library.pollingActive).toBe(true);
    library.close();
  });

  it("shows the server's reason when an upload is refused, and goes on with the next", async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(page([], null)));
    const detail = 'Not enough room: your files may take 1 GB in all, and 2 MB is left. Delete some files first.';
    FakeXhr.answers = [
      { status: 413, body: { detail } },
      { status: 201, body: file('small', { status: 'ready' }) },
    ];
    const library = new FileLibrary();
    await library.open();
    library.upload([new File(['x'.repeat(100)], 'big.pdf'), new File(['ok'], 'small.md')]);
    await settle();
    await settle();
    expect(library.transfers).toHaveLength(1);
    expect(library.transfers[0]).toMatchObject({ name: 'big.pdf', state: 'failed', error: detail });
    expect(library.items.map((f) => f.id)).toEqual(['small']);
    library.dismiss(library.transfers[0]!.key);
    expect(library.transfers).toEqual([]);
    library.close();
  });

  it('falls back to a sentence when the refusal has no detail', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(page([], null)));
    FakeXhr.answers = [{ status: 413, body: 'not json' }];
    const library = new FileLibrary();
    await library.open();
    library.upload([new File(['x'], 'huge.bin')]);
    await settle();
    expect(library.transfers[0]!.error).toBe('That is too large.');
    library.close();
  });
});

describe('FileLibrary actions', () => {
  it('deletes a file and re-indexes another (watching it again)', async () => {
    vi.useFakeTimers();
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(page([file('a'), file('b', { status: 'failed', error: 'Unreadable.' })], null))
      .mockResolvedValueOnce(new Response(null, { status: 204 }))
      .mockResolvedValueOnce(json(file('b', { status: 'pending', progress: 0 }), 202));
    vi.stubGlobal('fetch', fetch);
    const library = new FileLibrary();
    await library.open();
    await library.remove(library.items[0]!);
    expect(fetch.mock.calls[1]![0]).toBe('/api/files/a');
    expect(fetch.mock.calls[1]![1].method).toBe('DELETE');
    expect(library.items.map((f) => f.id)).toEqual(['b']);
    await library.reindex(library.items[0]!);
    expect(fetch.mock.calls[2]![0]).toBe('/api/files/b/reindex');
    expect(statusLabel(library.items[0]!)).toBe('Queued');
    expect(library.pollingActive).toBe(true);
    library.close();
  });
});
