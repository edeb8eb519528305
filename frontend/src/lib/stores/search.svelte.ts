// Searching my chats (titles and messages) as I type: debounced, one request at a time (a
// newer query aborts the one before), answers to stale queries ignored, more by cursor.
import { api, query } from '../api/client';
import type { Page, SearchHit } from '../api/types';

export const SEARCH_DEBOUNCE_MS = 150;
const PAGE = 20;

export type FetchHits = (text: string, cursor: string | null, signal: AbortSignal) => Promise<Page<SearchHit>>;

const fetchHits: FetchHits = (text, cursor, signal) =>
  api.get<Page<SearchHit>>(`/api/chats/search${query({ q: text, cursor, limit: PAGE })}`, signal);

export class ChatSearch {
  /** What is typed in the box. */
  text = $state('');
  /** The query the hits shown answer ('' before the first answer). */
  answered = $state('');
  hits: SearchHit[] = $state.raw([]);
  next: string | null = $state(null);
  loading = $state(false);
  error: string | null = $state(null);
  /** The result the arrow keys are on (-1: none). */
  active = $state(-1);

  /** Searching at all: something other than spaces typed. */
  on: boolean = $derived(this.text.trim() !== '');

  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: Promise<void> | null = null;
  private controller: AbortController | null = null;
  private generation = 0;

  constructor(
    private readonly fetch: FetchHits = fetchHits,
    private readonly delay = SEARCH_DEBOUNCE_MS,
  ) {}

  /** The box changed: search again once typing pauses. */
  type(text: string): void {
    this.text = text;
    clearTimeout(this.timer);
    if (!this.on) {
      this.clear();
      return;
    }
    this.timer = setTimeout(() => void this.request(null), this.delay);
  }

  /** The answer to what is typed, now rather than after the pause (Enter while typing). */
  async flush(): Promise<void> {
    if (this.timer !== undefined) await this.request(null);
    else if (this.pending) await this.pending;
  }

  /** Back to no search (Esc, ×). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort();
    this.text = '';
    this.answered = '';
    this.hits = [];
    this.next = null;
    this.loading = false;
    this.error = null;
    this.active = -1;
  }

  /** The next page of the query shown. */
  async more(): Promise<void> {
    if (this.loading || !this.next || this.error) return;
    await this.request(this.next);
  }

  private request(cursor: string | null): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const loading = this.load(cursor);
    this.pending = loading;
    return loading;
  }

  private async load(cursor: string | null): Promise<void> {
    this.abort();
    const generation = ++this.generation;
    const controller = (this.controller = new AbortController());
    const text = cursor === null ? this.text : this.answered;
    this.loading = true;
    try {
      const page = await this.fetch(text, cursor, controller.signal);
      if (generation !== this.generation) return;
      this.error = null;
      this.answered = text;
      this.next = page.next_cursor;
      if (cursor === null) {
        this.hits = page.items;
        this.active = page.items.length ? 0 : -1;
      } else {
        const seen = this.hits.map((hit) => hit.chat.id);
        this.hits = [...this.hits, ...page.items.filter((hit) => !seen.includes(hit.chat.id))];
      }
    } catch (error) {
      if (generation !== this.generation || (error as Error).name === 'AbortError') return;
      this.error = (error as Error).message;
      if (cursor === null) {
        this.answered = text;
        this.hits = [];
        this.next = null;
        this.active = -1;
      }
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.controller = null;
        this.pending = null;
      }
    }
  }

  private abort(): void {
    this.generation++;
    this.controller?.abort();
    this.controller = null;
  }
}

export const chatSearch = new ChatSearch();
