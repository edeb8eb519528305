import { describe, expect, it } from 'vitest';
import type { Share } from '../api/types';
import { isShareToken, shareLink, sharesOf } from './links';

const ORIGIN = 'http://127.0.0.1:8080';

function share(id: string, created_at: string): Share {
  return { id, chat_id: 'c', title: 't', url: '', token: 'tok', public: false, message_count: 1, created_at };
}

describe('shareLink', () => {
  it('keeps an absolute link from the server', () => {
    expect(shareLink({ url: 'https://chat.example/s/abcDEF12', token: 'abcDEF12' }, ORIGIN)).toBe(
      'https://chat.example/s/abcDEF12',
    );
  });

  it('makes a path absolute on this origin', () => {
    expect(shareLink({ url: '/s/abcDEF12', token: 'abcDEF12' }, ORIGIN)).toBe(`${ORIGIN}/s/abcDEF12`);
  });

  it('builds the link from the token when the server gave none', () => {
    expect(shareLink({ url: '', token: 'a-b_c123' }, ORIGIN)).toBe(`${ORIGIN}/s/a-b_c123`);
  });

  it.each(['javascript:alert(1)', 'data:text/html,hi'])('never offers %s', (url) => {
    expect(shareLink({ url, token: 'abcDEF12' }, ORIGIN)).toBe(`${ORIGIN}/s/abcDEF12`);
  });

  it('escapes an odd token', () => {
    expect(shareLink({ url: '', token: 'a/b?c' }, ORIGIN)).toBe(`${ORIGIN}/s/a%2Fb%3Fc`);
  });
});

describe('isShareToken', () => {
  it.each([
    ['Zm9vYmFyYmF6cXV4LXRva2VuXzEyMw', true],
    ['short', false],
    ['has/slash0000', false],
    ['../../etc/passwd', false],
    ['x'.repeat(129), false],
  ])('%s', (token, ok) => {
    expect(isShareToken(token)).toBe(ok);
  });
});

describe('sharesOf', () => {
  it('reads a bare list or a page, newest first', () => {
    const old = share('1', '2024-01-01T00:00:00Z');
    const recent = share('2', '2024-06-01T00:00:00Z');
    expect(sharesOf([old, recent]).map((item) => item.id)).toEqual(['2', '1']);
    expect(sharesOf({ items: [old, recent] }).map((item) => item.id)).toEqual(['2', '1']);
  });
});
