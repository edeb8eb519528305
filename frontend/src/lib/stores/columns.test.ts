import { describe, expect, it } from 'vitest';
import type { Message } from '../api/types';
import { replyColumns } from './columns';

function message(id: string, parent: string | null, model: string | null, minute: number): Message {
  const at = new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
  return {
    id, parent_id: parent, role: model ? 'assistant' : 'user', content: id, model,
    status: 'complete', finish_reason: 'stop', error: null, usage: null, created_at: at, sibling_ids: [],
  };
}

const tree = {
  u: message('u', null, null, 0),
  a1: message('a1', 'u', 'small', 1),
  b1: message('b1', 'u', 'large', 1),
  a2: message('a2', 'u', 'small', 5),
};

describe('replyColumns', () => {
  it('is null when one model answered', () => {
    expect(replyColumns({ u: tree.u, a1: tree.a1, a2: tree.a2 }, 'u', tree.a2)).toBeNull();
  });

  it('gives each model a column with its versions, the current one marked', () => {
    const columns = replyColumns(tree, 'u', tree.b1)!;
    expect(columns.map((c) => [c.model, c.versions.map((m) => m.id), c.shown.id, c.current])).toEqual([
      ['small', ['a1', 'a2'], 'a2', false],
      ['large', ['b1'], 'b1', true],
    ]);
  });

  it('shows the version picked in a column the conversation does not go on from', () => {
    const columns = replyColumns(tree, 'u', tree.b1, { small: 'a1' })!;
    expect(columns[0]!.shown.id).toBe('a1');
    expect(replyColumns(tree, 'u', tree.a2, { small: 'a1' })![0]!.shown.id).toBe('a2');
  });
});
