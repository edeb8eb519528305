import { describe, expect, it } from 'vitest';
import { parseRoute } from './router.svelte';

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
  ])('%s', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
  });
});
