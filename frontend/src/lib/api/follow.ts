// Following a reply as it is generated: `delta`… then `done` or `error`; a reply that has
// already finished comes as one `snapshot` then `done`. A dropped connection is resumed with
// Last-Event-ID so only what was missed comes again.

import { ApiError, send } from './client';
import { SseParser } from './sse';
import type { Usage } from './types';

export interface FinalState {
  status: string;
  finish_reason: string | null;
  error: string | null;
  usage: Usage | null;
}

export interface FollowHandlers {
  /** Replace the whole text (a snapshot, or the start of a replay from the beginning). */
  onText(text: string): void;
  onDelta(text: string): void;
  onEnd(final: FinalState): void;
}

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000];

export function streamPath(chatId: string, messageId: string): string {
  return `/api/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(messageId)}/stream`;
}

/** Follows until the reply ends or `signal` aborts. Resolves in both cases. */
export async function followReply(
  chatId: string,
  messageId: string,
  handlers: FollowHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId = 0;
  let attempt = 0;
  handlers.onText('');
  while (!signal.aborted) {
    try {
      const ended = await readOnce(chatId, messageId, lastId, handlers, signal, (id) => {
        lastId = id;
        attempt = 0;
      });
      if (ended) return;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
        handlers.onEnd({ status: 'error', finish_reason: null, error: error.message, usage: null });
        return;
      }
    }
    const delay = RETRY_DELAYS_MS[attempt++];
    if (delay === undefined) {
      handlers.onEnd({
        status: 'interrupted',
        finish_reason: null,
        error: 'Lost the connection to the server. Reload to see the reply.',
        usage: null,
      });
      return;
    }
    await sleep(delay, signal);
  }
}

async function readOnce(
  chatId: string,
  messageId: string,
  lastId: number,
  handlers: FollowHandlers,
  signal: AbortSignal,
  onId: (id: number) => void,
): Promise<boolean> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (lastId > 0) headers['Last-Event-ID'] = String(lastId);
  const response = await send(streamPath(chatId, messageId), { headers, signal });
  if (!response.body) throw new Error('The stream has no body.');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      for (const event of parser.push(value)) {
        if (event.id !== null) onId(event.id);
        if (handle(event.event, event.data, handlers)) return true;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Applies one event; true when the reply has ended. */
function handle(kind: string, data: string, handlers: FollowHandlers): boolean {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return false;
  }
  if (kind === 'delta') handlers.onDelta(String(payload.text ?? ''));
  else if (kind === 'snapshot') handlers.onText(String(payload.text ?? ''));
  else if (kind === 'done' || kind === 'error') {
    handlers.onEnd({
      status: String(payload.status ?? (kind === 'error' ? 'error' : 'complete')),
      finish_reason: (payload.finish_reason as string | null) ?? null,
      error: (payload.error as string | null) ?? null,
      usage: statsOf(payload.usage, payload.timings),
    });
    return true;
  }
  return false;
}

/** A live `done` carries token counts and timings apart; a stored reply has them together. */
function statsOf(usage: unknown, timings: unknown): Usage | null {
  const parts = [timings, usage].filter((part): part is object => !!part && typeof part === 'object');
  return parts.length ? (Object.assign({}, ...parts) as Usage) : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
