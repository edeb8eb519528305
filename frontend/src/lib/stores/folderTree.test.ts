import { describe, expect, it } from 'vitest';
import type { Folder } from '../api/types';
import {
  buildTree,
  canMoveFolder,
  canNestIn,
  countText,
  depthOf,
  folderLabel,
  heightOf,
  knownIds,
  MAX_DEPTH,
  pathOf,
  subtreeOf,
  visibleNodes,
} from './folderTree';

function folder(id: string, parent: string | null = null, name = id): Folder {
  const at = '2026-01-01T00:00:00Z';
  return { id, name, parent_id: parent, created_at: at, updated_at: at, chats: 0, archived_chats: 0 };
}

/** work > clients > acme; work > notes; recipes */
const FOLDERS = [
  folder('acme', 'clients', 'Acme'),
  folder('work', null, 'Work'),
  folder('recipes', null, 'recipes'),
  folder('clients', 'work', 'Clients'),
  folder('notes', 'work', 'Notes'),
];

/** A chain f1 > f2 > … > fN. */
function chain(length: number): Folder[] {
  return Array.from({ length }, (_, i) => folder(`f${i + 1}`, i === 0 ? null : `f${i}`));
}

const names = (nodes: { folder: Folder }[]) => nodes.map((node) => node.folder.name);

describe('buildTree', () => {
  it('nests folders by parent and sorts each level by name, ignoring case', () => {
    const tree = buildTree(FOLDERS);
    expect(names(tree)).toEqual(['recipes', 'Work']);
    const work = tree[1]!;
    expect(work.depth).toBe(1);
    expect(names(work.children)).toEqual(['Clients', 'Notes']);
    expect(names(work.children[0]!.children)).toEqual(['Acme']);
    expect(work.children[0]!.children[0]!.depth).toBe(3);
  });

  it('shows a folder whose parent is unknown, or that sits in a loop, at the top', () => {
    const odd = [folder('lost', 'gone'), folder('a', 'b'), folder('b', 'a'), folder('c', 'a')];
    expect(names(buildTree(odd)).sort()).toEqual(['a', 'b', 'lost']);
    const a = buildTree(odd).find((node) => node.folder.id === 'a')!;
    expect(names(a.children)).toEqual(['c']);
  });

  it('builds nothing from no folders', () => {
    expect(buildTree([])).toEqual([]);
  });
});

describe('visibleNodes', () => {
  it('lists a folder’s children only when it is open', () => {
    const tree = buildTree(FOLDERS);
    expect(names(visibleNodes(tree, new Set()))).toEqual(['recipes', 'Work']);
    expect(names(visibleNodes(tree, new Set(['work'])))).toEqual(['recipes', 'Work', 'Clients', 'Notes']);
    // An open folder inside a closed one stays hidden.
    expect(names(visibleNodes(tree, new Set(['clients'])))).toEqual(['recipes', 'Work']);
    expect(names(visibleNodes(tree, new Set(['work', 'clients'])))).toEqual([
      'recipes',
      'Work',
      'Clients',
      'Acme',
      'Notes',
    ]);
  });
});

describe('depth and height', () => {
  it('counts levels from the top', () => {
    expect(depthOf(FOLDERS, null)).toBe(0);
    expect(depthOf(FOLDERS, 'work')).toBe(1);
    expect(depthOf(FOLDERS, 'acme')).toBe(3);
    expect(heightOf(FOLDERS, 'work')).toBe(3);
    expect(heightOf(FOLDERS, 'notes')).toBe(1);
  });

  it('finds everything inside a folder', () => {
    expect([...subtreeOf(FOLDERS, 'work')].sort()).toEqual(['acme', 'clients', 'notes', 'work']);
    expect([...subtreeOf(FOLDERS, 'recipes')]).toEqual(['recipes']);
  });
});

describe('canMoveFolder (where a dragged folder may be dropped)', () => {
  it('refuses the folder itself and every folder inside it', () => {
    expect(canMoveFolder(FOLDERS, 'work', 'work')).toBe(false);
    expect(canMoveFolder(FOLDERS, 'work', 'clients')).toBe(false);
    expect(canMoveFolder(FOLDERS, 'work', 'acme')).toBe(false);
    expect(canMoveFolder(FOLDERS, 'clients', 'acme')).toBe(false);
  });

  it('refuses where it already is, and folders that do not exist', () => {
    expect(canMoveFolder(FOLDERS, 'clients', 'work')).toBe(false);
    expect(canMoveFolder(FOLDERS, 'work', null)).toBe(false);
    expect(canMoveFolder(FOLDERS, 'work', 'nowhere')).toBe(false);
    expect(canMoveFolder(FOLDERS, 'nowhere', 'work')).toBe(false);
  });

  it('allows other folders and the top level', () => {
    expect(canMoveFolder(FOLDERS, 'recipes', 'acme')).toBe(true);
    expect(canMoveFolder(FOLDERS, 'work', 'recipes')).toBe(true);
    expect(canMoveFolder(FOLDERS, 'acme', null)).toBe(true);
    expect(canMoveFolder(FOLDERS, 'acme', 'notes')).toBe(true);
  });

  it('keeps the tree within MAX_DEPTH levels, counting what is inside the folder moved', () => {
    const deep = [...chain(MAX_DEPTH - 1), folder('leaf'), folder('twig'), folder('twig-child', 'twig')];
    expect(canMoveFolder(deep, 'leaf', `f${MAX_DEPTH - 1}`)).toBe(true); // lands at depth 10
    expect(canMoveFolder(deep, 'twig', `f${MAX_DEPTH - 1}`)).toBe(false); // its child would be at 11
    expect(canMoveFolder(deep, 'twig', `f${MAX_DEPTH - 2}`)).toBe(true);
  });

  it('lets a new folder be made only above the deepest level', () => {
    const deep = chain(MAX_DEPTH);
    expect(canNestIn(deep, null)).toBe(true);
    expect(canNestIn(deep, `f${MAX_DEPTH - 1}`)).toBe(true);
    expect(canNestIn(deep, `f${MAX_DEPTH}`)).toBe(false);
  });
});

describe('pathOf and knownIds', () => {
  it('names a folder by its path from the top', () => {
    expect(pathOf(FOLDERS, 'acme')).toBe('Work / Clients / Acme');
    expect(pathOf(FOLDERS, 'recipes')).toBe('recipes');
    expect(pathOf(FOLDERS, 'nowhere')).toBe('');
  });

  it('forgets the ids of folders that are gone', () => {
    expect(knownIds(['work', 'gone', 'acme'], FOLDERS)).toEqual(['work', 'acme']);
  });
});

describe('folder chat counts', () => {
  it('names a folder with its count for screen readers', () => {
    expect(folderLabel('Work', 12)).toBe('Work, 12 chats');
    expect(folderLabel('Work', 1)).toBe('Work, 1 chat');
    expect(folderLabel('Work', 0)).toBe('Work');
  });

  it('shows the count short, and nothing for an empty folder', () => {
    expect([0, 7, 999, 1000, 1234, 9999, 10_000, 123_456].map(countText)).toEqual([
      '',
      '7',
      '999',
      '1k',
      '1.2k',
      '9.9k',
      '10k',
      '123k',
    ]);
  });
});
