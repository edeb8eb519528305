// Moving chats and folders: by drag and drop in the sidebar, or through the "Move to…"
// dialog (the keyboard's way to do the same). Both end in `moveTo`.
import { bulkChats, updateChat } from './chats.svelte';
import type { Dragged } from './dragging.svelte';
import { folders } from './folders.svelte';

/** What the "Move to…" dialog is open for (null: it is closed). */
export const mover: { item: Dragged | null } = $state({ item: null });

/** Moves into folder `target` (null: out of any folder, or a folder to the top level). */
export async function moveTo(item: Dragged, target: string | null): Promise<void> {
  if (item.kind === 'folder') await folders.move(item.id, target);
  else if (item.ids.length === 1) await updateChat(item.ids[0]!, { folder_id: target });
  else await bulkChats(item.ids, 'move', target);
}

/** What went wrong with the last drop, shown at the top of the sidebar's folders. */
export const moveNotice = $state({ text: '' });

export async function dropOn(item: Dragged, target: string | null): Promise<void> {
  moveNotice.text = '';
  try {
    await moveTo(item, target);
  } catch (caught) {
    moveNotice.text = (caught as Error).message;
  }
}
