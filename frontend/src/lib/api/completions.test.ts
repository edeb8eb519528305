import { afterEach, describe, expect, it, vi } from 'vitest';
import { completionEvents, completionRequest, streamCompletion, type CompletionEvent } from './completions';

const chunk = (delta: object, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });

describe('completionRequest', () => {
  it('sends the conversation as the user sees it, streaming with usage', () => {
    const body = completionRequest('fake-small', [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Again?' },
      { role: 'assistant', content: 'Upstream down', failed: true },
      { role: 'assistant', content: '  ' },
      { role: 'user', content: 'Now?' },
    ]);
    expect(body).toEqual({
      model: 'fake-small',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Again?' },
        { role: 'user', content: 'Now?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('completionEvents', () => {
  it('reads deltas, the finish, usage and the end', () => {
    expect(completionEvents(chunk({ role: 'assistant', content: '' }))).toEqual([]);
    expect(completionEvents(chunk({ content: 'Hel' }))).toEqual([{ kind: 'delta', text: 'Hel' }]);
    expect(completionEvents(chunk({}, 'stop'))).toEqual([{ kind: 'finish', reason: 'stop' }]);
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    expect(completionEvents(JSON.stringify({ choices: [], usage }))).toEqual([{ kind: 'usage', usage }]);
    expect(completionEvents('[DONE]')).toEqual([{ kind: 'done' }]);
  });

  it("turns the stream's error into its message", () => {
    const error = JSON.stringify({ error: { message: 'Upstream timed out', type: 'upstream_error' } });
    expect(completionEvents(error)).toEqual([{ kind: 'error', message: 'Upstream timed out' }]);
    expect(completionEvents('{"error": {}}')).toEqual([{ kind: 'error', message: 'The model could not answer.' }]);
  });

  it('ignores what it cannot read', () => {
    expect(completionEvents('not json')).toEqual([]);
    expect(completionEvents('null')).toEqual([]);
    expect(completionEvents('{"choices": "x"}')).toEqual([]);
    expect(completionEvents(chunk({ content: 42 }))).toEqual([]);
  });
});

describe('streamCompletion', () => {
  afterEach(() => vi.unstubAllGlobals());

  function streamOf(parts: string[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
  }

  it('posts with the CSRF header and hands over events per network chunk', async () => {
    const body = streamOf([
      `data: ${chunk({ content: 'He' })}\n\ndata: ${chunk({ content: 'll' })}\n\nda`,
      `ta: ${chunk({ content: 'o' }, 'stop')}\n\n`,
      'data: [DONE]\n\n',
    ]);
    const fetch = vi.fn().mockResolvedValue(new Response(body, { headers: { 'Content-Type': 'text/event-stream' } }));
    vi.stubGlobal('fetch', fetch);
    const seen: CompletionEvent[][] = [];
    const request = completionRequest('m', [{ role: 'user', content: 'Hi' }]);
    await streamCompletion(request, (events) => seen.push(events), new AbortController().signal);
    const [path, init] = fetch.mock.calls[0]!;
    expect(path).toBe('/v1/chat/completions');
    expect(init.method).toBe('POST');
    expect(init.headers['X-Confide-CSRF']).toBe('1');
    expect(JSON.parse(init.body)).toEqual(request);
    expect(seen).toEqual([
      [{ kind: 'delta', text: 'He' }, { kind: 'delta', text: 'll' }],
      [{ kind: 'delta', text: 'o' }, { kind: 'finish', reason: 'stop' }],
      [{ kind: 'done' }],
    ]);
  });

  it("throws the server's own words when it refuses", async () => {
    const refusal = JSON.stringify({ error: { message: 'No such model: nope', type: 'invalid_request_error' } });
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(new Response(refusal, { status: 404 })));
    const request = completionRequest('nope', [{ role: 'user', content: 'Hi' }]);
    await expect(streamCompletion(request, () => {}, new AbortController().signal)).rejects.toThrow('No such model: nope');
  });
});
