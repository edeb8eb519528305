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

/** One drop target of the sidebar (a folder, the folder list's heading, the history):
 * `accepts` says whether the drag now over it may land there, `land` moves it. `hovering`
 * is true while an acceptable drag is over it. `nested`: a target inside another target
 * keeps its drags to itself. Bind `over`, `leave` and `drop` to the element's drag events. */
export class DropTarget {
  hovering = $state(false);
  readonly #accepts: (item: Dragged) => boolean;
  readonly #land: (item: Dragged) => void;
  readonly #nested: boolean;

  constructor(accepts: (item: Dragged) => boolean, land: (item: Dragged) => void, nested = false) {
    this.#accepts = accepts;
    this.#land = land;
    this.#nested = nested;
  }

  over = (event: DragEvent): void => {
    if (drag.item === null || !this.#accepts(drag.item)) return;
    this.#claim(event);
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'move';
    this.hovering = true;
  };

  leave = (event: DragEvent): void => {
    const into = event.relatedTarget as Node | null;
    if (!(event.currentTarget as Node).contains(into)) this.hovering = false;
  };

  drop = (event: DragEvent): void => {
    this.hovering = false;
    const item = drag.item;
    if (item === null || !this.#accepts(item)) return;
    this.#claim(event);
    drag.item = null;
    this.#land(item);
  };

  #claim(event: DragEvent): void {
    event.preventDefault();
    if (this.#nested) event.stopPropagation();
  }
}
