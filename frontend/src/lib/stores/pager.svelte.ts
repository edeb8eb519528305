// A list the API hands out in pages (`{items, next_cursor}`): load the first page, then more.
import { api, query } from '../api/client';
import type { Page } from '../api/types';

type Params = Record<string, string | number | boolean | null | undefined>;

export class Pager<T extends object> {
  items: T[] = $state([]);
  loading = $state(false);
  loaded = $state(false);
  error: string | null = $state(null);
  next: string | null = $state(null);
  private generation = 0;

  constructor(
    private readonly path: string,
    private params: () => Params = () => ({}),
    private readonly limit = 50,
  ) {}

  /** Starts over from the first page (after a filter changed, or an item did). */
  async reload(): Promise<void> {
    this.generation++;
    this.next = null;
    await this.fetch(true);
  }

  async more(): Promise<void> {
    if (this.loading || !this.next) return;
    await this.fetch(false);
  }

  /** Puts an updated item in place (matched by `same`), or drops it when `item` is null. */
  replace(same: (item: T) => boolean, item: T | null): void {
    this.items = item
      ? this.items.map((existing) => (same(existing) ? item : existing))
      : this.items.filter((existing) => !same(existing));
  }

  private async fetch(first: boolean): Promise<void> {
    const generation = this.generation;
    this.loading = true;
    this.error = null;
    try {
      const params = { ...this.params(), limit: this.limit, cursor: first ? null : this.next };
      const page = await api.get<Page<T>>(`${this.path}${query(params)}`);
      if (generation !== this.generation) return;
      this.items = first ? page.items : [...this.items, ...page.items];
      this.next = page.next_cursor;
      this.loaded = true;
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}
