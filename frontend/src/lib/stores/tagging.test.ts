import { describe, expect, it } from 'vitest';
import type { Tag } from '../api/types';
import {
  chipsOf,
  deleteTagQuestion,
  MAX_TAGS_PER_CHAT,
  suggestTags,
  tagKey,
  tagProblem,
  tidyTag,
  withoutTag,
  withTag,
} from './tagging';

const KNOWN: Tag[] = [
  { id: '1', name: 'Café', chats: 2 },
  { id: '2', name: 'travel', chats: 1 },
  { id: '3', name: 'Work', chats: 4 },
  { id: '4', name: 'homework', chats: 1 },
];

describe('tags', () => {
  it('compares names without regard to case or accents', () => {
    expect(tagKey('Café')).toBe(tagKey('CAFE'));
    expect(tagKey(' Ünïcode ')).toBe('unicode');
    expect(tidyTag('  two   words ')).toBe('two words');
  });

  it('says why a tag cannot be added', () => {
    expect(tagProblem([], '   ')).toBe('Type a tag first.');
    expect(tagProblem([], 'x'.repeat(51))).toMatch(/at most 50/);
    expect(tagProblem(['Café'], 'cafe')).toMatch(/already tagged/);
    const full = Array.from({ length: MAX_TAGS_PER_CHAT }, (_, i) => `t${i}`);
    expect(tagProblem(full, 'one more')).toMatch(/at most 20 tags/);
    expect(tagProblem(['Café'], 'tea')).toBe('');
  });

  it('adds a tag spelled as the one I already have, and removes one in any spelling', () => {
    expect(withTag(['x'], 'cafe', KNOWN)).toEqual(['x', 'Café']);
    expect(withTag([], '  new   tag ', KNOWN)).toEqual(['new tag']);
    expect(withoutTag(['Café', 'x'], 'CAFE')).toEqual(['x']);
  });

  it('suggests my other tags, those that start with what is typed first', () => {
    expect(suggestTags(KNOWN, ['travel'], '')).toEqual(['Café', 'Work', 'homework']);
    expect(suggestTags(KNOWN, [], 'wo')).toEqual(['Work', 'homework']);
    expect(suggestTags(KNOWN, ['WORK'], 'wo')).toEqual(['homework']);
    expect(suggestTags(KNOWN, [], 'cafe')).toEqual(['Café']);
    expect(suggestTags(KNOWN, [], '', 1)).toEqual(['Café']);
  });
});

describe('chipsOf', () => {
  it('shows at most two chips and counts the rest', () => {
    expect(chipsOf([])).toEqual({ shown: [], more: 0 });
    expect(chipsOf(['a'])).toEqual({ shown: ['a'], more: 0 });
    expect(chipsOf(['a', 'b'])).toEqual({ shown: ['a', 'b'], more: 0 });
    expect(chipsOf(['a', 'b', 'c'])).toEqual({ shown: ['a', 'b'], more: 1 });
    expect(chipsOf(['a', 'b', 'c', 'd', 'e'])).toEqual({ shown: ['a', 'b'], more: 3 });
    expect(chipsOf(['a', 'b', 'c'], 1)).toEqual({ shown: ['a'], more: 2 });
  });
});

describe('deleteTagQuestion', () => {
  it('says how many chats carry the tag, and that they stay', () => {
    expect(deleteTagQuestion({ id: 't', name: 'work', chats: 12 })).toBe(
      'It is on 12 chats. Deleting the tag takes it off every chat; the chats themselves stay.',
    );
    expect(deleteTagQuestion({ id: 't', name: 'work', chats: 1 })).toBe(
      'It is on 1 chat. Deleting the tag takes it off that chat; the chats themselves stay.',
    );
  });
});
