// My tags (names and how many chats carry each), for the sidebar's filter and suggestions.
import { api } from '../api/client';
import type { Tag } from '../api/types';

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
}

export const tags = new Tags();
