import { describe, expect, it } from 'vitest';
import type { Folder } from '../api/types';
import { canDrop, drag, DropTarget, type Dragged } from './dragging.svelte';

const at = '2026-01-01T00:00:00Z';
const FOLDERS: Folder[] = [
  { id: 'a', name: 'A', parent_id: null, created_at: at, updated_at: at, chats: 0, archived_chats: 0 },
  { id: 'b', name: 'B', parent_id: 'a', created_at: at, updated_at: at, chats: 0, archived_chats: 0 },
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

function dragEvent(type: string) {
  const calls = { prevented: 0, stopped: 0 };
  const event = {
    type,
    preventDefault: () => (calls.prevented += 1),
    stopPropagation: () => (calls.stopped += 1),
    dataTransfer: null,
  } as unknown as DragEvent;
  return { event, calls };
}

describe('DropTarget', () => {
  const chat: Dragged = { kind: 'chats', ids: ['c'], from: ['a'] };

  it('takes a drag it accepts, once, and lets the browser know', () => {
    const landed: Dragged[] = [];
    const target = new DropTarget((item) => item.kind === 'chats', (item) => landed.push(item));
    drag.item = chat;
    const over = dragEvent('dragover');
    target.over(over.event);
    expect(target.hovering).toBe(true);
    expect(over.calls).toEqual({ prevented: 1, stopped: 0 });
    target.drop(dragEvent('drop').event);
    expect(landed).toEqual([chat]);
    expect(drag.item).toBeNull();
    expect(target.hovering).toBe(false);
  });

  it('refuses what it does not accept, leaving the drag for another target', () => {
    const landed: Dragged[] = [];
    const target = new DropTarget(() => false, (item) => landed.push(item), true);
    drag.item = chat;
    const over = dragEvent('dragover');
    target.over(over.event);
    const drop = dragEvent('drop');
    target.drop(drop.event);
    expect(target.hovering).toBe(false);
    expect(over.calls.prevented + drop.calls.prevented).toBe(0);
    expect(landed).toEqual([]);
    expect(drag.item).toEqual(chat);
    drag.item = null;
  });

  it('keeps a nested drop to itself', () => {
    const target = new DropTarget(() => true, () => {}, true);
    drag.item = chat;
    const drop = dragEvent('drop');
    target.drop(drop.event);
    expect(drop.calls).toEqual({ prevented: 1, stopped: 1 });
  });
});
