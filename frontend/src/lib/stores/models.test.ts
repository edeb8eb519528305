import { describe, expect, it } from 'vitest';
import type { Model } from '../api/types';
import { modelForNewChat } from './models.svelte';

const model = (id: string): Model => ({
  id,
  name: id,
  source: { type: 'local', connection_id: null, connection_name: null, preset_id: null },
  base_model: null,
});
const ITEMS = [model('small'), model('large'), model('preset:1')];

describe('modelForNewChat', () => {
  it('prefers the default model', () => {
    expect(modelForNewChat(ITEMS, 'large', 'preset:1')).toBe('large');
  });

  it('falls back to the last one used when the default is gone or unset', () => {
    expect(modelForNewChat(ITEMS, 'removed', 'preset:1')).toBe('preset:1');
    expect(modelForNewChat(ITEMS, null, 'preset:1')).toBe('preset:1');
  });

  it('else takes the first model, or none', () => {
    expect(modelForNewChat(ITEMS, null, null)).toBe('small');
    expect(modelForNewChat([], 'large', 'small')).toBeNull();
  });
});
