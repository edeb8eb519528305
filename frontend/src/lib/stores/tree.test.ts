import { describe, expect, it } from 'vitest';
import type { Message } from '../api/types';
import { branchOf, newestLeafUnder, siblingPosition, type Messages } from './tree';

function message(id: string, parent: string | null, at: number, siblings: string[] = [id]): Message {
  return {
    id,
    parent_id: parent,
    role: parent === null || id.startsWith('u') ? 'user' : 'assistant',
    content: id,
    model: null,
    status: 'complete',
    finish_reason: 'stop',
    error: null,
    usage: null,
    created_at: new Date(2026, 0, 1, 0, 0, at).toISOString(),
    sibling_ids: siblings,
  };
}

// u1 → a1 ┬ (a1 regenerated as a2)
//         └ u2 → a3          a2 → u3 → a4
const tree: Messages = Object.fromEntries(
  [
    message('u1', null, 1),
    message('a1', 'u1', 2, ['a1', 'a2']),
    message('a2', 'u1', 5, ['a1', 'a2']),
    message('u2', 'a1', 3),
    message('a3', 'u2', 4),
    message('u3', 'a2', 6),
    message('a4', 'u3', 7),
  ].map((m) => [m.id, m]),
);

describe('the message tree', () => {
  it('walks from the root to the leaf', () => {
    expect(branchOf(tree, 'a3').map((m) => m.id)).toEqual(['u1', 'a1', 'u2', 'a3']);
    expect(branchOf(tree, null)).toEqual([]);
  });

  it('stops at a missing parent or a cycle instead of looping', () => {
    const broken: Messages = { x: message('x', 'y', 1), y: message('y', 'x', 2) };
    expect(branchOf(broken, 'x').map((m) => m.id)).toEqual(['y', 'x']);
    expect(branchOf({ z: message('z', 'gone', 1) }, 'z').map((m) => m.id)).toEqual(['z']);
  });

  it('finds the newest leaf below a sibling', () => {
    expect(newestLeafUnder(tree, 'a2')).toBe('a4');
    expect(newestLeafUnder(tree, 'a1')).toBe('a3');
    expect(newestLeafUnder(tree, 'a4')).toBe('a4');
  });

  it('tells the position among siblings', () => {
    expect(siblingPosition(tree.a2!)).toEqual({ index: 2, count: 2 });
    expect(siblingPosition(tree.u1!)).toEqual({ index: 1, count: 1 });
  });
});
