// The sidebar's chat history: pages of 50, newest first, loaded as the list scrolls.
import { api, query } from '../api/client';
import type { ChatSummary, Page } from '../api/types';

const PAGE_SIZE = 100;

export class ChatList {
  // Replaced whole on every change, never edited in place: no deep proxy over 10,000 chats.
  items: ChatSummary[] = $state.raw([]);
  loading = $state(false);
  done = $state(false);
  error: string | null = $state(null);
  private cursor: string | null = null;
  private generation = 0;

  constructor(private readonly archived = false) {}

  async reload(): Promise<void> {
    this.generation++;
    this.items = [];
    this.cursor = null;
    this.done = false;
    this.loading = false;
    await this.more();
  }

  async more(): Promise<void> {
    if (this.loading || this.done) return;
    const generation = this.generation;
    this.loading = true;
    this.error = null;
    try {
      const params = { limit: PAGE_SIZE, cursor: this.cursor, archived: this.archived || null };
      const page = await api.get<Page<ChatSummary>>(`/api/chats${query(params)}`);
      if (generation !== this.generation) return;
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
      const known = new Set(this.items.map((chat) => chat.id));
      this.items = [...this.items, ...page.items.filter((chat) => !known.has(chat.id))];
      this.cursor = page.next_cursor;
      this.done = page.next_cursor === null;
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** A chat was created or changed: keep the list in the API's order (newest activity first). */
  upsert(chat: ChatSummary): void {
    const rest = this.items.filter((item) => item.id !== chat.id);
    if (chat.archived !== this.archived) {
      this.items = rest;
      return;
    }
    const at = rest.findIndex((item) => item.updated_at <= chat.updated_at);
    rest.splice(at === -1 ? rest.length : at, 0, chat);
    this.items = rest;
  }

  remove(id: string): void {
    this.items = this.items.filter((item) => item.id !== id);
  }

  find(id: string): ChatSummary | undefined {
    return this.items.find((item) => item.id === id);
  }
}

export const chatList = new ChatList();

/** What went wrong with the last action on a chat in the sidebar (rename, pin…). The rows
 * come and go as the list scrolls, so the message lives here rather than in a row. */
export const historyNotice = $state({ text: '' });
export const archivedList = new ChatList(true);

export async function updateChat(
  id: string,
  changes: Partial<Pick<ChatSummary, 'title' | 'pinned' | 'archived'>>,
): Promise<ChatSummary> {
  const chat = await api.patch<ChatSummary>(`/api/chats/${encodeURIComponent(id)}`, changes);
  chatList.upsert(chat);
  archivedList.upsert(chat);
  return chat;
}

export async function deleteChat(id: string): Promise<void> {
  await api.del(`/api/chats/${encodeURIComponent(id)}`);
  chatList.remove(id);
  archivedList.remove(id);
}
