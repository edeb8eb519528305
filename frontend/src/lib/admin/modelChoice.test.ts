import { describe, expect, it } from 'vitest';
import type { Model } from '../api/types';
import { BUILT_IN_LABEL } from './embedding';
import { modelChoices } from './modelChoice';

const model = (id: string, type: string, connection: string | null = null): Model => ({
  id,
  name: id,
  source: { type, connection_id: connection ? `c-${connection}` : null, connection_name: connection, preset_id: null },
  base_model: null,
});

describe('modelChoices', () => {
  const models = [
    model('nomic-embed-text', 'connection', 'Ollama'),
    model('preset:writer', 'preset'),
    model('all-MiniLM-L6-v2', 'local'),
    model('text-embedding-3-small', 'connection', 'OpenAI'),
    model('bge-reranker', 'connection'),
  ];

  it('offers the empty choice first, then connection models only', () => {
    expect(modelChoices(models, '', BUILT_IN_LABEL)).toEqual([
      { value: '', label: BUILT_IN_LABEL },
      { value: 'nomic-embed-text', label: 'nomic-embed-text — Ollama' },
      { value: 'text-embedding-3-small', label: 'text-embedding-3-small — OpenAI' },
      { value: 'bge-reranker', label: 'bge-reranker' },
    ]);
  });

  it('names the empty choice as told', () => {
    expect(modelChoices([], '', 'None')).toEqual([{ value: '', label: 'None' }]);
  });

  it('keeps the current choice when its connection no longer lists it', () => {
    const choices = modelChoices([], 'gone-model', 'None');
    expect(choices.map((choice) => choice.value)).toEqual(['', 'gone-model']);
    expect(choices[1]!.label).toBe('gone-model (not available now)');
  });

  it('lists a current choice that is offered once', () => {
    expect(modelChoices(models, 'nomic-embed-text', 'None')).toHaveLength(4);
  });
});
