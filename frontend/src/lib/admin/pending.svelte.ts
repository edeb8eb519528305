// How many accounts wait for an admin's approval (the badge on the Users page and its tab).
import { api } from '../api/client';
import type { Page, User } from '../api/types';
import { adminGate } from './gate.svelte';

const LIMIT = 100;

class Pending {
  count = $state(0);
  /** More than LIMIT wait: the badge says "100+". */
  more = $state(false);

  async refresh(): Promise<void> {
    try {
      const page = await api.get<Page<User>>(`/api/users?role=pending&limit=${LIMIT}`);
      this.count = page.items.length;
      this.more = page.next_cursor !== null;
      adminGate.note();
    } catch (caught) {
      // The badge is a convenience: the list itself shows any error. A refusal for want of
      // two-factor closes every admin page (AdminPage shows it).
      adminGate.note(caught);
    }
  }
}

export const pending = new Pending();
