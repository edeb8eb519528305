import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { Connection } from '../api/types';
import { connectionBody, connectionForm, presetBody, presetErrors, presetForm, presetParams, splitList } from './forms';

const STORED: Connection = {
  id: 'c1',
  kind: 'openai',
  name: 'Lab',
  base_url: 'http://10.0.0.2:8000/v1',
  has_api_key: true,
  model_prefix: 'lab',
  enabled: true,
  model_allowlist: ['a', 'b'],
  connect_timeout: 5,
  read_timeout: 120,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('connection forms', () => {
  it('never fills the key from the server', () => {
    expect(connectionForm(STORED).api_key).toBe('');
  });

  it('creates with the key when one is typed, and without empty extras', () => {
    const form = { ...connectionForm(), name: ' Fake ', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-1' };
    expect(connectionBody(form)).toEqual({
      kind: 'openai',
      name: 'Fake',
      base_url: 'http://127.0.0.1:9/v1',
      model_allowlist: [],
      connect_timeout: 5,
      read_timeout: 120,
      enabled: true,
      api_key: 'sk-1',
    });
  });

  it('sends only what changed in an edit, and keeps the key unless told', () => {
    const form = connectionForm(STORED);
    expect(connectionBody(form, STORED)).toEqual({});
    form.name = 'Lab 2';
    form.allowlist = 'a\nb, c';
    expect(connectionBody(form, STORED)).toEqual({ name: 'Lab 2', model_allowlist: ['a', 'b', 'c'] });
  });

  it('replaces or removes the key', () => {
    const form = connectionForm(STORED);
    form.api_key = 'sk-new';
    expect(connectionBody(form, STORED)).toEqual({ api_key: 'sk-new' });
    form.api_key = '';
    form.clear_api_key = true;
    expect(connectionBody(form, STORED)).toEqual({ api_key: null });
  });

  it('clears the prefix with null', () => {
    const form = { ...connectionForm(STORED), model_prefix: '' };
    expect(connectionBody(form, STORED)).toEqual({ model_prefix: null });
  });

  it('splits lists by line or comma', () => {
    expect(splitList(' a \n\nb,c ,')).toEqual(['a', 'b', 'c']);
  });
});

describe('preset forms', () => {
  it('parses the parameters that are set, and names the ones that do not parse', () => {
    const form = { ...presetForm(), temperature: '0.7', max_tokens: '256', stop: 'END\n###' };
    expect(presetParams(form)).toEqual({ params: { temperature: 0.7, max_tokens: 256, stop: ['END', '###'] }, errors: {} });
    const bad = { ...presetForm(), top_p: 'lots', seed: '1.5' };
    expect(presetParams(bad).errors).toEqual({ top_p: 'Enter a number.', seed: 'Enter a whole number.' });
  });

  it('builds the body: an empty prompt is none, groups only with group visibility', () => {
    const form = { ...presetForm(), name: 'Terse', base_model: 'fake-small', group_ids: ['g1'] };
    expect(presetBody(form, {})).toEqual({
      name: 'Terse',
      base_model: 'fake-small',
      system_prompt: null,
      description: '',
      visibility: 'private',
      group_ids: [],
      knowledge_ids: [],
      params: {},
    });
    form.visibility = 'groups';
    form.system_prompt = 'Be brief.';
    expect(presetBody(form, {})).toMatchObject({ system_prompt: 'Be brief.', group_ids: ['g1'] });
  });

  it('round-trips a stored preset into the form', () => {
    const form = presetForm({
      id: 'p', model_id: 'preset:p', name: 'N', base_model: 'm', description: 'd',
      params: { temperature: 1, stop: ['x'] }, visibility: 'everyone', mine: true,
      has_system_prompt: true, system_prompt: 'S', group_ids: [], knowledge_ids: ['k1'], created_at: '', updated_at: '',
    });
    expect(form).toMatchObject({ temperature: '1', stop: 'x', visibility: 'everyone', system_prompt: 'S', knowledge_ids: ['k1'] });
    expect(presetBody(form, {})).toMatchObject({ knowledge_ids: ['k1'] });
  });

  it('puts the server\'s refusals under their fields', () => {
    expect(presetErrors(new ApiError(404, 'Knowledge base not found.'))).toEqual({
      fields: { knowledge_ids: 'Knowledge base not found.' },
      message: '',
    });
    const tooMany = new ApiError(422, 'Please check the form.', { knowledge_ids: 'List should have at most 10 items.' });
    expect(presetErrors(tooMany)).toEqual({ fields: { knowledge_ids: 'List should have at most 10 items.' }, message: 'Please check the form.' });
    expect(presetErrors(new ApiError(404, 'Model not found.'))).toEqual({ fields: {}, message: 'Model not found.' });
    expect(presetErrors(new Error('Network down.'))).toEqual({ fields: {}, message: 'Network down.' });
  });
});
