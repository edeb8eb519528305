import { describe, expect, it, vi } from 'vitest';
import type { CompletionEvent, CompletionRequest } from '../api/completions';
import { TemporaryChat } from './temporary.svelte';

type Stream = (body: CompletionRequest, onEvents: (events: CompletionEvent[]) => void, signal: AbortSignal) => Promise<void>;

/** A stream that sends `events` one chunk each, then ends. */
function replying(...chunks: CompletionEvent[][]): Stream & { bodies: CompletionRequest[] } {
  const bodies: CompletionRequest[] = [];
  const stream = async (body: CompletionRequest, onEvents: (events: CompletionEvent[]) => void) => {
    bodies.push(structuredClone(body));
    for (const events of chunks) onEvents(events);
  };
  return Object.assign(stream, { bodies });
}

describe('TemporaryChat', () => {
  it('keeps the exchange in memory and sends the whole conversation each time', async () => {
    const stream = replying([{ kind: 'delta', text: 'Hel' }, { kind: 'delta', text: 'lo' }], [{ kind: 'done' }]);
    const chat = new TemporaryChat(stream);
    await chat.send('Hi', 'fake');
    await chat.send('And you?', 'fake');
    expect(chat.messages.map(({ role, content, status }) => [role, content, status])).toEqual([
      ['user', 'Hi', 'complete'],
      ['assistant', 'Hello', 'complete'],
      ['user', 'And you?', 'complete'],
      ['assistant', 'Hello', 'complete'],
    ]);
    expect(stream.bodies[1]!.messages).toEqual([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: 'And you?' },
    ]);
    expect(chat.messages[1]!.model).toBe('fake');
  });

  it('shows an error in the reply and retries it', async () => {
    const failing: Stream = () => Promise.reject(new Error('No such model'));
    const chat = new TemporaryChat(failing);
    await chat.send('Hi', 'gone');
    expect(chat.messages[1]).toMatchObject({ status: 'error', error: 'No such model' });
    const mid = new TemporaryChat(replying([{ kind: 'delta', text: 'par' }, { kind: 'error', message: 'Upstream timed out' }]));
    await mid.send('Hi', 'm');
    expect(mid.messages[1]).toMatchObject({ content: 'par', status: 'error', error: 'Upstream timed out' });
    (mid as unknown as { stream: Stream }).stream = replying([{ kind: 'delta', text: 'ok' }, { kind: 'done' }]);
    await mid.retry('m');
    expect(mid.messages).toHaveLength(2);
    expect(mid.messages[1]).toMatchObject({ content: 'ok', status: 'complete' });
  });

  it('stops: the text so far stays, marked stopped', async () => {
    let release = () => {};
    const slow: Stream = (_body, onEvents, signal) =>
      new Promise((_resolve, reject) => {
        onEvents([{ kind: 'delta', text: 'Once upon' }]);
        release = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        signal.addEventListener('abort', () => release());
      });
    const chat = new TemporaryChat(slow);
    const sending = chat.send('Tell me a story', 'm');
    expect(chat.streaming).toBe(true);
    await chat.send('Another', 'm'); // refused while a reply is written
    expect(chat.messages).toHaveLength(2);
    chat.stop();
    await sending;
    expect(chat.streaming).toBe(false);
    expect(chat.messages[1]).toMatchObject({ content: 'Once upon', status: 'stopped' });
  });

  it('asks before losing messages, and only then', async () => {
    const chat = new TemporaryChat(replying([{ kind: 'done' }]));
    chat.on = true;
    const left = vi.fn();
    expect(chat.mayLeave(left)).toBe(true);
    expect(left).toHaveBeenCalledTimes(1);
    await chat.send('Hi', 'm');
    expect(chat.mayLeave(left)).toBe(false);
    expect(left).toHaveBeenCalledTimes(1);
    expect(chat.messages).toHaveLength(2);
    chat.leaving!();
    expect(left).toHaveBeenCalledTimes(2);
    expect(chat.messages).toEqual([]);
    expect(chat.leaving).toBeNull();
    await chat.send('Hi', 'm');
    chat.toggle(); // switching it off with messages asks too
    expect(chat.on).toBe(true);
    chat.leaving!();
    expect(chat.on).toBe(false);
  });
});
