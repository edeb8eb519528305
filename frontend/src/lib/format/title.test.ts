import { describe, expect, it } from 'vitest';
import { parseRoute } from '../stores/router.svelte';
import { documentTitle, titleFor } from './title';

describe('titleFor', () => {
  it('names the sign-in and sign-up screens', () => {
    expect(titleFor('login', parseRoute('/login'))).toBe('Sign in · Confide');
    expect(titleFor('signup', parseRoute('/signup'))).toBe('Create an account · Confide');
    expect(titleFor('first-run', parseRoute('/signup'))).toBe('Create the admin account · Confide');
    expect(titleFor('pending', parseRoute('/pending'))).toBe('Waiting for approval · Confide');
    expect(titleFor('loading', parseRoute('/'))).toBe('Confide');
  });

  it('names settings and admin with their section', () => {
    expect(titleFor('settings', parseRoute('/settings'))).toBe('Settings · Account · Confide');
    expect(titleFor('settings', parseRoute('/settings/api-keys'))).toBe('Settings · API keys · Confide');
    expect(titleFor('settings', parseRoute('/settings/data'))).toBe('Settings · Data · Confide');
    expect(titleFor('admin', parseRoute('/admin'))).toBe('Admin · Users · Confide');
    expect(titleFor('admin', parseRoute('/admin/audit'))).toBe('Admin · Audit log · Confide');
    expect(titleFor('admins-only', parseRoute('/admin'))).toBe('Admins only · Confide');
  });

  it("uses the open chat's title, with a stand-in until it is known", () => {
    expect(titleFor('chat', parseRoute('/c/abc'), 'Rust lifetimes')).toBe('Rust lifetimes · Confide');
    expect(titleFor('chat', parseRoute('/c/abc'), '  ')).toBe('Chat · Confide');
    expect(titleFor('chat', parseRoute('/'))).toBe('New chat · Confide');
    expect(titleFor('chat', parseRoute('/archived'))).toBe('Archived chats · Confide');
    expect(titleFor('chat', parseRoute('/nowhere/at/all'))).toBe('Not found · Confide');
  });

  it('names a shared chat by its title once it is known', () => {
    expect(titleFor('shared', parseRoute('/s/Zm9vYmFy'))).toBe('Shared chat · Confide');
    expect(titleFor('shared', parseRoute('/s/Zm9vYmFy'), 'Trip plans')).toBe('Trip plans · Confide');
    expect(titleFor('settings', parseRoute('/settings/shares'))).toBe('Settings · Shared links · Confide');
  });

  it('leaves out empty parts', () => {
    expect(documentTitle('', 'Settings')).toBe('Settings · Confide');
  });
});
