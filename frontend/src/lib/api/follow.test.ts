import { afterEach, describe, expect, it, vi } from 'vitest';
import { followReply, type FinalState } from './follow';

/** A streamed response whose body is `parts`, then (optionally) a dropped connection. */
function sse(parts: string[], { drop = false } = {}): Response {
  const encoder = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[next++];
      if (part !== undefined) controller.enqueue(encoder.encode(part));
      else if (drop) controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
  return new Response(body, { headers: { 'Content-Type': 'text/event-stream' } });
}

function recorder() {
  const seen: { text: string; final: FinalState | null } = { text: '', final: null };
  return {
    seen,
    handlers: {
      onText: (text: string) => (seen.text = text),
      onDelta: (text: string) => (seen.text += text),
      onEnd: (final: FinalState) => (seen.final = final),
    },
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('followReply', () => {
  it('applies deltas until done, with the CSRF header', async () => {
    const fetch = vi.fn().mockResolvedValue(
      sse([
        'id: 1\nevent: delta\ndata: {"text":"Hel"}\n\n',
        ': keepalive\n\nid: 2\nevent: delta\ndata: {"text":"lo"}\n\n',
        'id: 3\nevent: done\ndata: {"status":"complete","finish_reason":"stop","error":null,"usage":{"completion_tokens":2}}\n\n',
      ]),
    );
    vi.stubGlobal('fetch', fetch);
    const { seen, handlers } = recorder();
    await followReply('c1', 'm1', handlers, new AbortController().signal);
    expect(seen.text).toBe('Hello');
    expect(seen.final).toEqual({
      status: 'complete',
      finish_reason: 'stop',
      error: null,
      usage: { completion_tokens: 2 },
    });
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/chats/c1/messages/m1/stream');
    expect(init.headers).toMatchObject({ 'X-Confide-CSRF': '1' });
    expect(init.headers).not.toHaveProperty('Last-Event-ID');
  });

  it('resumes a dropped stream from the last event id, without repeating text', async () => {
    vi.useFakeTimers();
    const fetch = vi
      .fn()
      .mockResolvedValueOnce(sse(['id: 4\nevent: delta\ndata: {"text":"one "}\n\n'], { drop: true }))
      .mockResolvedValueOnce(
        sse([
          'id: 5\nevent: delta\ndata: {"text":"two"}\n\n',
          'id: 6\nevent: done\ndata: {"status":"complete"}\n\n',
        ]),
      );
    vi.stubGlobal('fetch', fetch);
    const { seen, handlers } = recorder();
    const following = followReply('c1', 'm1', handlers, new AbortController().signal);
    await vi.runAllTimersAsync();
    await following;
    expect(seen.text).toBe('one two');
    expect(seen.final?.status).toBe('complete');
    const retry = fetch.mock.calls[1]![1] as RequestInit;
    expect(retry.headers).toMatchObject({ 'Last-Event-ID': '4' });
  });

  it('takes a snapshot of a finished reply as the whole text', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(
        sse([
          'event: snapshot\ndata: {"text":"All of it."}\n\n',
          'event: done\ndata: {"status":"stopped","finish_reason":null,"error":null,"usage":null}\n\n',
        ]),
      ),
    );
    const { seen, handlers } = recorder();
    handlers.onText('stale partial text');
    await followReply('c1', 'm1', handlers, new AbortController().signal);
    expect(seen.text).toBe('All of it.');
    expect(seen.final?.status).toBe('stopped');
  });

  it('reports an error event with its message', async () => {
    vi.stubGlobal(
      'fetch',
      vi
        .fn()
        .mockResolvedValue(
          sse(['id: 2\nevent: error\ndata: {"status":"error","error":"The model is down."}\n\n']),
        ),
    );
    const { seen, handlers } = recorder();
    await followReply('c1', 'm1', handlers, new AbortController().signal);
    expect(seen.final).toMatchObject({ status: 'error', error: 'The model is down.' });
  });

  it('gives up at once on a reply it may not see', async () => {
    const fetch = vi
      .fn()
      .mockResolvedValue(new Response(JSON.stringify({ detail: 'Chat not found.' }), { status: 404 }));
    vi.stubGlobal('fetch', fetch);
    const { seen, handlers } = recorder();
    await followReply('c1', 'm1', handlers, new AbortController().signal);
    expect(seen.final).toMatchObject({ status: 'error', error: 'Chat not found.' });
    expect(fetch).toHaveBeenCalledOnce();
  });

  it('stops quietly when aborted', async () => {
    const controller = new AbortController();
    vi.stubGlobal(
      'fetch',
      vi.fn().mockImplementation(
        (_path: string, init: RequestInit) =>
          new Promise((_resolve, reject) => {
            init.signal?.addEventListener('abort', () =>
              reject(new DOMException('aborted', 'AbortError')),
            );
          }),
      ),
    );
    const { seen, handlers } = recorder();
    const following = followReply('c1', 'm1', handlers, controller.signal);
    controller.abort();
    await following;
    expect(seen.final).toBeNull();
  });
});
