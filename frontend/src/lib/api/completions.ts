// A reply streamed from the OpenAI-compatible endpoint (`POST /v1/chat/completions`), for
// temporary chats: the conversation goes with each request and nothing is stored on the
// server (see src/confide/api/openai.py).

import { send } from './client';
import { SseParser } from './sse';
import type { Usage } from './types';

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** A reply that failed is not part of what the model is asked. */
  failed?: boolean;
}

export interface CompletionRequest {
  model: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
  stream: true;
  stream_options: { include_usage: true };
}

/** The request for the next reply to `turns` (the last one being the user's). Failed and
 * empty replies are left out: the model sees the conversation the user sees. */
export function completionRequest(model: string, turns: readonly Turn[]): CompletionRequest {
  const messages = turns
    .filter((turn) => !turn.failed && turn.content.trim() !== '')
    .map(({ role, content }) => ({ role, content }));
  return { model, messages, stream: true, stream_options: { include_usage: true } };
}

export type CompletionEvent =
  | { kind: 'delta'; text: string }
  | { kind: 'finish'; reason: string }
  | { kind: 'usage'; usage: Usage }
  | { kind: 'error'; message: string }
  | { kind: 'done' };

interface Chunk {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: Usage | null;
  error?: { message?: unknown };
}

/** What one `data:` line of the stream says (several things at once, in order). */
export function completionEvents(data: string): CompletionEvent[] {
  if (data.trim() === '[DONE]') return [{ kind: 'done' }];
  let chunk: Chunk;
  try {
    chunk = JSON.parse(data) as Chunk;
  } catch {
    return [];
  }
  if (!chunk || typeof chunk !== 'object') return [];
  if (chunk.error) {
    const message = typeof chunk.error.message === 'string' && chunk.error.message ? chunk.error.message : 'The model could not answer.';
    return [{ kind: 'error', message }];
  }
  const out: CompletionEvent[] = [];
  const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
  const text = choice?.delta?.content;
  if (typeof text === 'string' && text) out.push({ kind: 'delta', text });
  if (typeof choice?.finish_reason === 'string') out.push({ kind: 'finish', reason: choice.finish_reason });
  if (chunk.usage && typeof chunk.usage === 'object') out.push({ kind: 'usage', usage: chunk.usage });
  return out;
}

/** Streams the reply to `body`, handing each network chunk's events over at once (one
 * render per chunk, not per token). Throws ApiError when the server refuses; resolves when the
 * stream ends or `signal` aborts it. */
export async function streamCompletion(
  body: CompletionRequest,
  onEvents: (events: CompletionEvent[]) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await send('/v1/chat/completions', { method: 'POST', body, signal });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return;
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const events = parser.push(value).flatMap((event) => completionEvents(event.data));
      if (events.length) onEvents(events);
      if (events.some((event) => event.kind === 'done')) break;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
