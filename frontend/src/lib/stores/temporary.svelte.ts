// A temporary chat: kept only in this tab's memory (not in the database, not in localStorage
// or sessionStorage), answered through the OpenAI-compatible endpoint, which stores nothing
// but usage. Gone when the tab closes, and when the user leaves it (after asking).
import { completionRequest, streamCompletion, type CompletionEvent } from '../api/completions';
import type { Usage } from '../api/types';

export interface TemporaryMessage {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  model: string | null;
  status: 'streaming' | 'complete' | 'stopped' | 'error';
  error: string | null;
  usage: Usage | null;
}

export class TemporaryChat {
  /** The new-chat screen is in temporary mode. */
  on = $state(false);
  messages: TemporaryMessage[] = $state([]);
  /** What to do once the user agrees to lose the messages (a dialog asks); null: no one asks. */
  leaving: (() => void) | null = $state(null);

  streaming: boolean = $derived(this.messages.some((message) => message.status === 'streaming'));
  empty: boolean = $derived(this.messages.length === 0);

  private controller: AbortController | null = null;
  private ids = 0;

  constructor(private readonly stream = streamCompletion) {}

  toggle(): void {
    if (this.on) this.mayLeave(() => (this.on = false));
    else this.on = true;
  }

  /** Runs `then` now when nothing would be lost, else once the user confirms (see `leaving`).
   * Returns whether it ran now. */
  mayLeave(then: () => void): boolean {
    if (this.empty) {
      then();
      return true;
    }
    this.leaving = () => {
      this.clear();
      then();
    };
    return false;
  }

  /** Forgets the messages (and stops a reply being written); stays in temporary mode. */
  clear(): void {
    this.controller?.abort();
    this.controller = null;
    this.messages = [];
    this.leaving = null;
  }

  /** Out of temporary mode, everything forgotten. */
  discard(): void {
    this.clear();
    this.on = false;
  }

  async send(content: string, model: string): Promise<void> {
    if (this.streaming) return;
    this.messages.push(this.message('user', content, null, 'complete'));
    await this.answer(model);
  }

  /** Asks again for the last reply (after an error). */
  async retry(model: string): Promise<void> {
    const last = this.messages.at(-1);
    if (this.streaming || last?.role !== 'assistant') return;
    this.messages.pop();
    await this.answer(last.model ?? model);
  }

  stop(): void {
    this.controller?.abort();
  }

  private async answer(model: string): Promise<void> {
    const body = completionRequest(
      model,
      this.messages.map(({ role, content, status }) => ({ role, content, failed: status === 'error' })),
    );
    this.messages.push(this.message('assistant', '', model, 'streaming'));
    const reply = this.messages.at(-1)!;
    const controller = (this.controller = new AbortController());
    try {
      await this.stream(body, (events) => apply(reply, events), controller.signal);
      if (reply.status === 'streaming') reply.status = controller.signal.aborted ? 'stopped' : 'complete';
    } catch (error) {
      if (reply.status !== 'streaming') return;
      if (controller.signal.aborted) reply.status = 'stopped';
      else {
        reply.status = 'error';
        reply.error = (error as Error).message;
      }
    } finally {
      if (this.controller === controller) this.controller = null;
    }
  }

  private message(
    role: TemporaryMessage['role'],
    content: string,
    model: string | null,
    status: TemporaryMessage['status'],
  ): TemporaryMessage {
    return { id: ++this.ids, role, content, model, status, error: null, usage: null };
  }
}

/** A chunk's events applied to the reply being written. */
export function apply(reply: TemporaryMessage, events: readonly CompletionEvent[]): void {
  let text = '';
  for (const event of events) {
    if (event.kind === 'delta') text += event.text;
    else if (event.kind === 'usage') reply.usage = event.usage;
    else if (event.kind === 'error') {
      reply.status = 'error';
      reply.error = event.message;
    } else if (event.kind === 'done' && reply.status === 'streaming') reply.status = 'complete';
  }
  if (text) reply.content += text;
}

export const temporaryChat = new TemporaryChat();
