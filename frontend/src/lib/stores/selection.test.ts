import { describe, expect, it } from 'vitest';
import { Selection } from './selection.svelte';

describe('Selection', () => {
  it('ticks, unticks, and ticks all loaded chats or none', () => {
    const selection = new Selection();
    selection.start();
    expect(selection.active).toBe(true);
    selection.toggle('a');
    selection.toggle('b');
    selection.toggle('a');
    expect(selection.ids).toEqual(['b']);
    selection.toggleAll(['a', 'b', 'c']);
    expect(selection.ids).toEqual(['b', 'a', 'c']);
    selection.toggleAll(['a', 'b', 'c']);
    expect(selection.ids).toEqual([]);
    selection.toggle('a', true);
    selection.toggle('a', true);
    expect(selection.ids).toEqual(['a']);
    selection.stop();
    expect(selection).toMatchObject({ active: false, ids: [] });
  });
});
