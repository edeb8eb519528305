// The sidebar's chat history: pages of 100, newest first, loaded as the list scrolls; and
// the same for the chats of one folder or tag when the sidebar is filtered by one.
import { api, query, request } from '../api/client';
import type { BulkAction, ChatSummary, Page } from '../api/types';
import { tagKey } from './tagging';

const PAGE_SIZE = 100;

export class ChatList {
  // Replaced whole on every change, never edited in place: no deep proxy over 10,000 chats.
  items: ChatSummary[] = $state.raw([]);
  loading = $state(false);
  done = $state(false);
  error: string | null = $state(null);
  private cursor: string | null = null;
  private generation = 0;

  constructor(
    private readonly archived = false,
    private readonly filter: () => ChatFilter = () => NO_FILTER,
  ) {}

  /** Whether `chat` belongs in this list (its archived state, folder and tag). */
  matches(chat: ChatSummary): boolean {
    const { folderId, tag } = this.filter();
    if (chat.archived !== this.archived) return false;
    if (folderId !== null && chat.folder_id !== (folderId === NO_FOLDER ? null : folderId)) return false;
    return tag === null || chat.tags.some((name) => tagKey(name) === tagKey(tag));
  }

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
      const { folderId, tag } = this.filter();
      const params = {
        limit: PAGE_SIZE,
        cursor: this.cursor,
        archived: this.archived || null,
        folder_id: folderId,
        tag,
      };
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
    if (!this.matches(chat)) {
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

/** What the sidebar's history is narrowed to: a folder (NO_FOLDER: chats in none), a tag. */
export interface ChatFilter {
  folderId: string | null;
  tag: string | null;
}

export const NO_FOLDER = 'none';
const NO_FILTER: ChatFilter = { folderId: null, tag: null };

/** Every chat (not archived): the history when no folder or tag is chosen. */
export const chatList = new ChatList();
export const historyFilter: ChatFilter = $state({ ...NO_FILTER });
/** The chats of the chosen folder and/or tag, as the API filters them. */
export const filteredList = new ChatList(false, () => historyFilter);

export function isFiltered(): boolean {
  return historyFilter.folderId !== null || historyFilter.tag !== null;
}

/** The list the sidebar shows now. */
export function shownList(): ChatList {
  return isFiltered() ? filteredList : chatList;
}

/** Narrows the history to a folder and/or tag (null clears that part). */
export function filterHistory(change: Partial<ChatFilter>): void {
  Object.assign(historyFilter, change);
  if (isFiltered()) void filteredList.reload();
}

/** What went wrong with the last action on a chat in the sidebar (rename, pin…). The rows
 * come and go as the list scrolls, so the message lives here rather than in a row. */
export const historyNotice = $state({ text: '' });
export const archivedList = new ChatList(true);

const LISTS = [chatList, filteredList, archivedList];

/** Whether a chat going from `before` (undefined: not in any list here, e.g. just made) to
 * `after` may change how many chats a folder holds. */
export function changesFolderCounts(before: ChatSummary | undefined, after: ChatSummary): boolean {
  if (!before) return after.folder_id !== null;
  return before.folder_id !== after.folder_id || before.archived !== after.archived;
}

const countWatchers: (() => void)[] = [];

/** `watch` runs whenever chats may have come into, left or been archived in a folder. */
export function onFolderCountsChanged(watch: () => void): void {
  countWatchers.push(watch);
}

function folderCountsChanged(): void {
  for (const watch of countWatchers) watch();
}

function known(id: string): ChatSummary | undefined {
  for (const list of LISTS) {
    const chat = list.find(id);
    if (chat) return chat;
  }
  return undefined;
}

/** A chat changed on the server: every list shows it as it is now (or drops it). */
export function chatChanged(chat: ChatSummary): void {
  if (changesFolderCounts(known(chat.id), chat)) folderCountsChanged();
  for (const list of LISTS) list.upsert(chat);
}

export async function updateChat(
  id: string,
  changes: Partial<Pick<ChatSummary, 'title' | 'pinned' | 'archived' | 'folder_id'>>,
): Promise<ChatSummary> {
  const chat = await api.patch<ChatSummary>(`/api/chats/${encodeURIComponent(id)}`, changes);
  chatChanged(chat);
  if ('folder_id' in changes || 'archived' in changes) folderCountsChanged();
  return chat;
}

export async function deleteChat(id: string): Promise<void> {
  await api.del(`/api/chats/${encodeURIComponent(id)}`);
  for (const list of LISTS) list.remove(id);
  folderCountsChanged();
}

/** Replaces a chat's tags; the answer holds them as stored (the first spelling wins). */
export async function setChatTags(chat: ChatSummary, tags: string[]): Promise<string[]> {
  const path = `/api/chats/${encodeURIComponent(chat.id)}/tags`;
  const saved = await request<{ tags: string[] }>(path, { method: 'PUT', body: { tags } });
  chatChanged({ ...chat, tags: saved.tags });
  return saved.tags;
}

/** One action on many chats, all or nothing; the lists are loaded again after it. */
export async function bulkChats(ids: string[], action: BulkAction, folderId?: string | null): Promise<number> {
  const body = action === 'move' ? { chat_ids: ids, action, folder_id: folderId ?? null } : { chat_ids: ids, action };
  const { count } = await api.post<{ count: number }>('/api/chats/bulk', body);
  await reloadChats();
  return count;
}

/** Deletes every chat of mine; answers how many there were. */
export async function deleteAllChats(): Promise<number> {
  const { count } = await request<{ count: number }>('/api/chats?confirm=true', { method: 'DELETE' });
  await reloadChats();
  return count;
}

/** After a change to many chats at once (a folder deleted, a bulk action). */
export async function reloadChats(): Promise<void> {
  folderCountsChanged();
  await Promise.all([chatList.reload(), isFiltered() ? filteredList.reload() : null]);
}
