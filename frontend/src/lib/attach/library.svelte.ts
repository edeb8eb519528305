// What can be attached: my files and the knowledge bases I may read, loaded when a picker
// opens (so a file uploaded elsewhere meanwhile is there). Knowledge bases are optional: a
// server that cannot list them leaves that part of the pickers empty.
import { listFiles, type FilePublic } from '../api/files';
import { listKnowledge, type KnowledgeSummary } from '../api/knowledge';
import { sizeOf } from '../data/transfer';
import { kindLabel } from '../stores/files.svelte';
import type { Choice } from './picker';

/** How many of each a picker lists (the newest), and searches among. */
export const PICKER_LIMIT = 200;

export function fileDetail(file: FilePublic): string {
  return [kindLabel(file.kind), sizeOf(file.size)].filter(Boolean).join(' · ');
}

export function knowledgeDetail(base: KnowledgeSummary): string {
  return base.file_count === 1 ? 'Knowledge · 1 file' : `Knowledge · ${base.file_count} files`;
}

/** What the `#` picker offers: my ready files, then the knowledge bases. */
export function choicesOf(files: readonly FilePublic[], knowledge: readonly KnowledgeSummary[]): Choice[] {
  return [
    ...files.filter((file) => file.status === 'ready').map((file): Choice => ({ kind: 'file', id: file.id, name: file.name, detail: fileDetail(file) })),
    ...knowledge.map((base): Choice => ({ kind: 'knowledge', id: base.id, name: base.name, detail: knowledgeDetail(base) })),
  ];
}

export class AttachLibrary {
  files: FilePublic[] = $state([]);
  knowledge: KnowledgeSummary[] = $state([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state('');
  choices: Choice[] = $derived(choicesOf(this.files, this.knowledge));

  private generation = 0;

  async load(): Promise<void> {
    const generation = ++this.generation;
    this.loading = true;
    this.error = '';
    const [files, knowledge] = await Promise.allSettled([
      listFiles(null, PICKER_LIMIT),
      listKnowledge(null, PICKER_LIMIT),
    ]);
    if (generation !== this.generation) return;
    if (files.status === 'fulfilled') this.files = files.value.items;
    else this.error = (files.reason as Error).message;
    this.knowledge = knowledge.status === 'fulfilled' ? knowledge.value.items : [];
    this.loaded = true;
    this.loading = false;
  }
}

export const attachLibrary = new AttachLibrary();
