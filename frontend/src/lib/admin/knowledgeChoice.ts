// Admin > presets: the knowledge bases a preset searches in every chat. The picker offers the
// bases I may read (the server refuses others), the chosen ones are chips.
import type { KnowledgeSummary } from '../api/knowledge';

/** How many knowledge bases a preset may have (the API's limit). */
export const MAX_PRESET_KNOWLEDGE = 10;

/** The bases still to offer: not chosen yet, and with every word of the search in the name. */
export function offeredKnowledge(bases: KnowledgeSummary[], chosen: readonly string[], search: string): KnowledgeSummary[] {
  const taken = new Set(chosen);
  const words = search.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
  return bases.filter((base) => {
    if (taken.has(base.id)) return false;
    const name = base.name.toLocaleLowerCase();
    return words.every((word) => name.includes(word));
  });
}

export interface KnowledgeChip {
  id: string;
  name: string;
}

/** The chosen bases, in the order chosen, named. One not among mine (deleted, or no longer
 * shared with me) keeps its place, so it can be seen and taken out. */
export function chosenKnowledge(bases: KnowledgeSummary[], chosen: readonly string[], loaded: boolean): KnowledgeChip[] {
  const byId = new Map(bases.map((base) => [base.id, base.name]));
  return chosen.map((id) => ({
    id,
    name: byId.get(id) ?? (loaded ? 'A knowledge base you cannot open' : 'Loading…'),
  }));
}

/** "1 file · yours", "3 files · shared with you". */
export function knowledgeMeta(base: Pick<KnowledgeSummary, 'file_count' | 'permission'>): string {
  const files = base.file_count === 1 ? '1 file' : `${base.file_count.toLocaleString('en')} files`;
  return `${files} · ${base.permission === 'owner' ? 'yours' : 'shared with you'}`;
}
