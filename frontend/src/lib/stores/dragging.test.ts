import { describe, expect, it } from 'vitest';
import type { Folder } from '../api/types';
import { canDrop } from './dragging.svelte';

const at = '2026-01-01T00:00:00Z';
const FOLDERS: Folder[] = [
  { id: 'a', name: 'A', parent_id: null, created_at: at, updated_at: at },
  { id: 'b', name: 'B', parent_id: 'a', created_at: at, updated_at: at },
];

describe('canDrop', () => {
  it('takes a chat anywhere but where it is', () => {
    const chat = { kind: 'chats' as const, ids: ['c'], from: ['a'] };
    expect(canDrop(chat, 'a', FOLDERS)).toBe(false);
    expect(canDrop(chat, 'b', FOLDERS)).toBe(true);
    expect(canDrop(chat, null, FOLDERS)).toBe(true);
    expect(canDrop({ ...chat, from: [null] }, null, FOLDERS)).toBe(false);
    expect(canDrop({ ...chat, ids: ['c', 'd'], from: [] }, 'a', FOLDERS)).toBe(true);
  });

  it('never takes a folder into itself or one inside it', () => {
    const folder = { kind: 'folder' as const, id: 'a' };
    expect(canDrop(folder, 'a', FOLDERS)).toBe(false);
    expect(canDrop(folder, 'b', FOLDERS)).toBe(false);
    expect(canDrop({ kind: 'folder', id: 'b' }, null, FOLDERS)).toBe(true);
    expect(canDrop(null, 'a', FOLDERS)).toBe(false);
  });
});
