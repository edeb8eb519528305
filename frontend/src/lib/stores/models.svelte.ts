// The models this person can use, and the one they picked last (kept in localStorage: it is
// a preference, not a secret).
import { api } from '../api/client';
import type { Model, ModelList } from '../api/types';

const KEY = 'confide.model';
/** How many models one message can go to at once (the API's limit). */
export const MAX_MODELS = 4;
const DEFAULT_KEY = 'confide.defaultModel';

function remembered(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private mode: remembered for this page only.
  }
}

/** The model a new chat starts with: the chosen default when it is still offered, else the
 * one used last, else the first one. */
export function modelForNewChat(
  items: readonly Model[],
  defaultId: string | null,
  lastId: string | null,
): string | null {
  for (const id of [defaultId, lastId]) {
    if (id && items.some((model) => model.id === id)) return id;
  }
  return items[0]?.id ?? null;
}

class Models {
  items: Model[] = $state([]);
  unreachable: { name: string; error: string | null }[] = $state([]);
  selectedId: string | null = $state(remembered(DEFAULT_KEY) ?? remembered(KEY));
  /** Chosen in the settings; null: new chats start with the model used last. */
  defaultId: string | null = $state(remembered(DEFAULT_KEY));
  loaded = $state(false);
  error: string | null = $state(null);

  /** More models answering side by side with the selected one (none: just one model). */
  alsoIds: string[] = $state([]);

  selected: Model | null = $derived(
    this.items.find((model) => model.id === this.selectedId) ?? this.items[0] ?? null,
  );
  /** Every model a message goes to: the selected one first. */
  chosen: Model[] = $derived(
    this.selected
      ? [this.selected, ...this.items.filter((m) => m.id !== this.selected!.id && this.alsoIds.includes(m.id))]
      : [],
  );

  async load(): Promise<void> {
    try {
      const list = await api.get<ModelList>('/api/models');
      this.items = list.items;
      this.unreachable = list.connections.filter((c) => !c.ok);
      this.error = null;
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  select(id: string): void {
    this.selectedId = id;
    this.alsoIds = [];
    remember(KEY, id);
  }

  /** Adds a model to the side-by-side set, or takes it out (at least one stays). */
  toggle(id: string): void {
    const ids = this.chosen.map((model) => model.id);
    if (ids.includes(id)) {
      const rest = ids.filter((other) => other !== id);
      if (!rest.length) return;
      this.selectedId = rest[0]!;
      this.alsoIds = rest.slice(1);
    } else if (ids.length < MAX_MODELS) {
      this.alsoIds = [...this.alsoIds, id];
    }
  }

  /** Several models at once (a chat that compared them). */
  selectAll(ids: string[]): void {
    const known = ids.filter((id) => this.items.some((model) => model.id === id)).slice(0, MAX_MODELS);
    if (!known.length) return;
    this.selectedId = known[0]!;
    this.alsoIds = known.slice(1);
  }

  setDefault(id: string | null): void {
    this.defaultId = id;
    remember(DEFAULT_KEY, id);
  }

  /** A new chat: the picker shows the default model (before the list loads, too). */
  startNewChat(): void {
    this.alsoIds = [];
    const last = remembered(KEY);
    if (!this.loaded) this.selectedId = this.defaultId ?? last;
    else this.selectedId = modelForNewChat(this.items, this.defaultId, last);
  }

  nameOf(id: string | null): string {
    if (!id) return 'Unknown model';
    return this.items.find((model) => model.id === id)?.name ?? id;
  }
}

export const models = new Models();

/** Where a model comes from, in words. */
export function sourceLabel(model: Model): string {
  if (model.source.type === 'local') return 'On this server';
  if (model.source.type === 'preset') return model.base_model ? `Preset · ${model.base_model}` : 'Preset';
  return model.source.connection_name ?? 'Connection';
}
