// My tags (names and how many chats carry each), for the sidebar's filter and suggestions.
import { api } from '../api/client';
import type { Tag } from '../api/types';
import { filterHistory, historyFilter, reloadChats } from './chats.svelte';
import { conversation } from './conversation.svelte';
import { tagKey, withoutTag } from './tagging';

export class Tags {
  items: Tag[] = $state.raw([]);
  error = $state('');

  async load(): Promise<void> {
    try {
      this.items = await api.get<Tag[]>('/api/tags');
      this.error = '';
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  /** Deletes the tag from every chat; the history (and the chat open) show them without it. */
  async remove(tag: Tag): Promise<void> {
    await api.del(`/api/tags/${encodeURIComponent(tag.id)}`);
    this.items = this.items.filter((item) => item.id !== tag.id);
    const open = conversation.summary;
    if (open?.tags.some((name) => tagKey(name) === tagKey(tag.name))) {
      conversation.changed({ ...open, tags: withoutTag(open.tags, tag.name) });
    }
    if (historyFilter.tag !== null && tagKey(historyFilter.tag) === tagKey(tag.name)) filterHistory({ tag: null });
    await reloadChats();
  }
}

export const tags = new Tags();
