// Folders form a tree by `parent_id` (the API hands them out flat). What the sidebar shows,
// and where a folder may be moved, is worked out here from that flat list.
import type { Folder } from '../api/types';

/** How deep folders may be nested (the API's limit: a top-level folder is at depth 1). */
export const MAX_DEPTH = 10;

export interface FolderNode {
  folder: Folder;
  depth: number;
  children: FolderNode[];
}

type Parents = ReadonlyMap<string, string | null>;

function parentsOf(folders: readonly Folder[]): Map<string, string | null> {
  return new Map(folders.map((folder) => [folder.id, folder.parent_id]));
}

const byName = (a: FolderNode, b: FolderNode) =>
  a.folder.name.localeCompare(b.folder.name, undefined, { sensitivity: 'base', numeric: true }) ||
  a.folder.id.localeCompare(b.folder.id);

/** The tree, each level by name. A folder whose parent is unknown (or that sits in a loop
 * the server should never have let through) is shown at the top level rather than lost. */
export function buildTree(folders: readonly Folder[]): FolderNode[] {
  const parents = parentsOf(folders);
  const children = new Map<string | null, Folder[]>();
  for (const folder of folders) {
    const parent = folder.parent_id !== null && placeable(parents, folder) ? folder.parent_id : null;
    const siblings = children.get(parent) ?? [];
    siblings.push(folder);
    children.set(parent, siblings);
  }
  const grow = (parent: string | null, depth: number): FolderNode[] =>
    (children.get(parent) ?? [])
      .map((folder) => ({ folder, depth, children: grow(folder.id, depth + 1) }))
      .sort(byName);
  return grow(null, 1);
}

/** Whether `folder` can sit inside its parent: the parent is known, and going up from the
 * folder does not come back to it. */
function placeable(parents: Parents, folder: Folder): boolean {
  if (folder.parent_id === null || !parents.has(folder.parent_id)) return false;
  const seen = new Set<string>();
  let current: string | null | undefined = folder.parent_id;
  while (current !== null && current !== undefined && !seen.has(current)) {
    if (current === folder.id) return false;
    seen.add(current);
    current = parents.get(current);
  }
  return true;
}

/** The tree as the rows shown: a folder's children only when it is expanded. */
export function visibleNodes(tree: readonly FolderNode[], expanded: ReadonlySet<string>): FolderNode[] {
  const out: FolderNode[] = [];
  const walk = (nodes: readonly FolderNode[]) => {
    for (const node of nodes) {
      out.push(node);
      if (expanded.has(node.folder.id)) walk(node.children);
    }
  };
  walk(tree);
  return out;
}

/** `id` and every folder inside it, at any depth. */
export function subtreeOf(folders: readonly Folder[], id: string): Set<string> {
  const parents = parentsOf(folders);
  const inside = new Set<string>([id]);
  for (const folder of folders) {
    if (isInside(parents, folder.id, id)) inside.add(folder.id);
  }
  return inside;
}

/** Whether `id` is `ancestor` or somewhere inside it. */
function isInside(parents: Parents, id: string, ancestor: string): boolean {
  const seen = new Set<string>();
  let current: string | null | undefined = id;
  while (current !== null && current !== undefined && !seen.has(current)) {
    if (current === ancestor) return true;
    seen.add(current);
    current = parents.get(current);
  }
  return false;
}

/** How deep `id` sits: 1 at the top level (0 for the top itself, `null`). */
export function depthOf(folders: readonly Folder[], id: string | null): number {
  const parents = parentsOf(folders);
  let depth = 0;
  let current: string | null | undefined = id;
  while (current !== null && current !== undefined && depth <= folders.length) {
    depth++;
    current = parents.get(current);
  }
  return depth;
}

/** How many levels `id` and the folders inside it take up (1 for a folder with none). */
export function heightOf(folders: readonly Folder[], id: string): number {
  const base = depthOf(folders, id);
  let deepest = base;
  for (const inside of subtreeOf(folders, id)) deepest = Math.max(deepest, depthOf(folders, inside));
  return deepest - base + 1;
}

/** Whether folder `id` may move into `target` (null: the top level): never into itself or a
 * folder inside it, never deeper than MAX_DEPTH, and not where it already is. */
export function canMoveFolder(folders: readonly Folder[], id: string, target: string | null): boolean {
  const folder = folders.find((item) => item.id === id);
  if (!folder || folder.parent_id === target) return false;
  if (target === null) return true;
  if (!folders.some((item) => item.id === target)) return false;
  if (isInside(parentsOf(folders), target, id)) return false;
  return depthOf(folders, target) + heightOf(folders, id) <= MAX_DEPTH;
}

/** Whether a new folder may be made inside `parent` (null: at the top level). */
export function canNestIn(folders: readonly Folder[], parent: string | null): boolean {
  return depthOf(folders, parent) < MAX_DEPTH;
}

/** "Work / Clients / Acme": the names from the top down to `id`. */
export function pathOf(folders: readonly Folder[], id: string): string {
  const byId = new Map(folders.map((folder) => [folder.id, folder]));
  const names: string[] = [];
  const seen = new Set<string>();
  let current = byId.get(id);
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    names.unshift(current.name);
    current = current.parent_id === null ? undefined : byId.get(current.parent_id);
  }
  return names.join(' / ');
}

/** What stays of a set of expanded folder ids once some folders are gone. */
export function knownIds(ids: Iterable<string>, folders: readonly Folder[]): string[] {
  const known = new Set(folders.map((folder) => folder.id));
  return [...ids].filter((id) => known.has(id));
}

/** A folder's chat count as the sidebar shows it: "7", "1.2k", "12k"; nothing for none. */
export function countText(chats: number): string {
  if (chats <= 0) return '';
  if (chats < 1000) return String(chats);
  if (chats < 10_000) return `${Math.floor(chats / 100) / 10}k`;
  return `${Math.floor(chats / 1000)}k`;
}

/** The folder's accessible name: "Work, 12 chats", "Work, 1 chat", or just "Work". */
export function folderLabel(name: string, chats: number): string {
  if (chats <= 0) return name;
  return `${name}, ${chats} ${chats === 1 ? 'chat' : 'chats'}`;
}
