// What is being dragged in the sidebar. Drop targets cannot read a drag's data until the
// drop, so they ask here whether to accept it (and say so while it hovers over them).
import type { Folder } from '../api/types';
import { canMoveFolder } from './folderTree';

export type Dragged =
  /** `from`: the folders they are in now (empty when not known: any target will do). */
  | { kind: 'chats'; ids: string[]; from: (string | null)[] }
  | { kind: 'folder'; id: string };

/** Where: a folder's id, or null for "no folder" / the top level. */
export function canDrop(dragged: Dragged | null, target: string | null, folders: readonly Folder[]): boolean {
  if (dragged === null) return false;
  if (dragged.kind === 'folder') return canMoveFolder(folders, dragged.id, target);
  return dragged.from.length === 0 || dragged.from.some((folder) => folder !== target);
}

export const drag: { item: Dragged | null } = $state({ item: null });

/** The types a drag of ours carries: a drag from elsewhere (a file, a link) is never taken. */
export const CHAT_TYPE = 'application/x-confide-chat';
export const FOLDER_TYPE = 'application/x-confide-folder';
