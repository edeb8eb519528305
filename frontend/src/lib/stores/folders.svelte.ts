// My folders of chats: the flat list the API hands out, the tree built from it, and which
// folders are open in the sidebar (their ids, kept in localStorage: no names leave the page).
import { api } from '../api/client';
import type { Folder } from '../api/types';
import { filterHistory, historyFilter, onFolderCountsChanged, reloadChats } from './chats.svelte';
import { buildTree, knownIds, subtreeOf, type FolderNode } from './folderTree';

const OPEN_KEY = 'confide.openFolders';

function folderPath(id: string, suffix = ''): string {
  return `/api/folders/${encodeURIComponent(id)}${suffix}`;
}

function rememberedOpen(): string[] {
  try {
    const ids: unknown = JSON.parse(localStorage.getItem(OPEN_KEY) ?? '[]');
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export type DeleteMode = 'move' | 'delete';

export class Folders {
  items: Folder[] = $state.raw([]);
  loaded = $state(false);
  error = $state('');
  /** The ids of the folders shown open. */
  open: string[] = $state.raw(rememberedOpen());
  tree: FolderNode[] = $derived(buildTree(this.items));
  private recounting: ReturnType<typeof setTimeout> | undefined;
  /** Counts this tab's own changes, so that a list asked for before one is never shown after it. */
  private changes = 0;

  async load(): Promise<void> {
    const before = this.changes;
    try {
      const items = await api.get<Folder[]>('/api/folders');
      if (this.changes !== before) {
        this.recount(0); // older than a change made meanwhile: ask again
        return;
      }
      this.items = items;
      this.error = '';
      this.loaded = true;
      this.setOpen(knownIds(this.open, this.items));
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** Chats came into or left folders: their counts are loaded again, once for a burst. */
  recount(delay = 150): void {
    clearTimeout(this.recounting);
    this.recounting = setTimeout(() => {
      this.recounting = undefined;
      if (this.loaded) void this.load();
    }, delay);
  }

  find(id: string | null): Folder | undefined {
    return id === null ? undefined : this.items.find((folder) => folder.id === id);
  }

  isOpen(id: string): boolean {
    return this.open.includes(id);
  }

  toggle(id: string, open = !this.isOpen(id)): void {
    const rest = this.open.filter((other) => other !== id);
    this.setOpen(open ? [...rest, id] : rest);
  }

  async create(name: string, parentId: string | null): Promise<Folder> {
    const folder = await api.post<Folder>('/api/folders', { name, parent_id: parentId });
    this.changes++;
    this.items = [...this.items, folder];
    if (parentId !== null) this.toggle(parentId, true);
    return folder;
  }

  async rename(id: string, name: string): Promise<void> {
    this.replace(await api.patch<Folder>(folderPath(id), { name }));
  }

  /** Into folder `parentId`, or to the top level (null). */
  async move(id: string, parentId: string | null): Promise<void> {
    this.replace(await api.patch<Folder>(folderPath(id), { parent_id: parentId }));
    if (parentId !== null) this.toggle(parentId, true);
  }

  /** Deletes the folder and those inside it; their chats move up a level, or are deleted. */
  async remove(id: string, chats: DeleteMode): Promise<void> {
    await api.del(`${folderPath(id)}?chats=${chats}`);
    this.changes++;
    const gone = subtreeOf(this.items, id);
    this.items = this.items.filter((folder) => !gone.has(folder.id));
    this.setOpen(knownIds(this.open, this.items));
    if (historyFilter.folderId !== null && gone.has(historyFilter.folderId)) filterHistory({ folderId: null });
    await reloadChats();
  }

  private replace(folder: Folder): void {
    this.changes++;
    this.items = this.items.map((item) => (item.id === folder.id ? folder : item));
  }

  private setOpen(ids: string[]): void {
    this.open = ids;
    try {
      if (ids.length) localStorage.setItem(OPEN_KEY, JSON.stringify(ids));
      else localStorage.removeItem(OPEN_KEY);
    } catch {
      // Private mode: remembered for this page only.
    }
  }
}

export const folders = new Folders();
onFolderCountsChanged(() => folders.recount());
