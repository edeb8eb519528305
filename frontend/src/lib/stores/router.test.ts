import { describe, expect, it } from 'vitest';
import { afterSignIn, parseRoute, signInFor } from './router.svelte';

describe('parseRoute', () => {
  it.each([
    ['/', { name: 'home' }],
    ['/login', { name: 'login' }],
    ['/signup/', { name: 'signup' }],
    ['/pending', { name: 'pending' }],
    ['/archived', { name: 'archived' }],
    ['/c/01a20b86ba02', { name: 'chat', id: '01a20b86ba02' }],
    ['/c/../../etc', { name: 'not-found' }],
    ['/c/a%2Fb', { name: 'not-found' }],
    ['/nowhere', { name: 'not-found' }],
    ['/settings', { name: 'settings', section: 'account' }],
    ['/settings/api-keys', { name: 'settings', section: 'api-keys' }],
    ['/settings/sessions/', { name: 'settings', section: 'sessions' }],
    ['/settings/data', { name: 'settings', section: 'data' }],
    ['/settings/nothing', { name: 'not-found' }],
    ['/admin', { name: 'admin', section: 'users' }],
    ['/admin/audit', { name: 'admin', section: 'audit' }],
    ['/admin/users/extra', { name: 'not-found' }],
    ['/settings/shares', { name: 'settings', section: 'shares' }],
    ['/settings/files', { name: 'settings', section: 'files' }],
    ['/settings/knowledge', { name: 'settings', section: 'knowledge' }],
    ['/settings/knowledge/01a20b86ba02', { name: 'settings', section: 'knowledge', id: '01a20b86ba02' }],
    ['/settings/knowledge/a%2Fb', { name: 'not-found' }],
    ['/settings/knowledge/abc/def', { name: 'not-found' }],
    ['/settings/files/abc', { name: 'not-found' }],
    ['/s/Zm9vYmFy-_01', { name: 'shared', token: 'Zm9vYmFy-_01' }],
    ['/s/a%2Fb', { name: 'not-found' }],
    ['/s/', { name: 'not-found' }],
    ['/s/abc/def', { name: 'not-found' }],
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });
});

describe('afterSignIn', () => {
  it.each([
    ['', '/'],
    ['?next=/s/Zm9vYmFy', '/s/Zm9vYmFy'],
    ['?next=%2Fc%2Fabc', '/c/abc'],
    ['?next=//evil.example/x', '/'],
    ['?next=https://evil.example/', '/'],
    ['?next=/\\evil.example', '/'],
    ['?next=/login', '/'],
    ['?next=/nowhere', '/'],
  ])('%s', (search, path) => {
    expect(afterSignIn(search)).toBe(path);
  });

  it('round-trips through the sign-in link', () => {
    const link = new URL(signInFor('/s/Zm9vYmFy'), 'http://x');
    expect(link.pathname).toBe('/login');
    expect(afterSignIn(link.search)).toBe('/s/Zm9vYmFy');
  });
});
