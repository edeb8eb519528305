// The history's select mode: which chats are ticked for an action on all of them at once.

export class Selection {
  active = $state(false);
  ids: string[] = $state.raw([]);

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  toggle(id: string, on = !this.has(id)): void {
    const rest = this.ids.filter((other) => other !== id);
    this.ids = on ? [...rest, id] : rest;
  }

  /** Ticks all of `ids`, or unticks them when all already are. */
  toggleAll(ids: readonly string[]): void {
    const all = ids.length > 0 && ids.every((id) => this.has(id));
    this.ids = all
      ? this.ids.filter((id) => !ids.includes(id))
      : [...this.ids, ...ids.filter((id) => !this.has(id))];
  }

  start(): void {
    this.active = true;
    this.ids = [];
  }

  stop(): void {
    this.active = false;
    this.ids = [];
  }
}

export const selection = new Selection();
