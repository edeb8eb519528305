import { describe, expect, it } from 'vitest';
import { actionLabel, auditParams } from './audit';

describe('auditParams', () => {
  it('leaves out what is not set', () => {
    expect(auditParams({ actor: ' ', action: '', from: '', to: '' })).toEqual({
      actor_id: undefined,
      action: undefined,
      since: undefined,
      until: undefined,
    });
  });

  it('turns the day range into instants with a time zone, the end day included', () => {
    const params = auditParams({ actor: 'u1', action: 'auth.login', from: '2026-02-01', to: '2026-02-01' });
    expect(params.actor_id).toBe('u1');
    expect(params.action).toBe('auth.login');
    expect(params.since).toMatch(/Z$/);
    expect(Date.parse(params.until!) - Date.parse(params.since!)).toBeGreaterThanOrEqual(23 * 3600_000);
  });
});

describe('actionLabel', () => {
  it.each([
    ['api_key.created', 'API key created'],
    ['auth.password_changed', 'Password changed'],
    ['admin.user_approved', 'User approved'],
    ['preset.deleted', 'Preset deleted'],
  ])('%s', (action, label) => {
    expect(actionLabel(action)).toBe(label);
  });
});
