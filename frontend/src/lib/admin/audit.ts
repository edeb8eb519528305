// The audit log's filter, as the API's query parameters.
import { dayStart } from '../format/dates';

export interface AuditFilter {
  /** A user id (the API filters by actor id). */
  actor: string;
  action: string;
  /** `YYYY-MM-DD` from date inputs: `from` inclusive, `to` the whole day inclusive. */
  from: string;
  to: string;
}

export const ACTIONS = [
  'auth.signup',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.password_changed',
  'auth.session_revoked',
  'auth.sessions_revoked',
  'api_key.created',
  'api_key.revoked',
  'admin.user_approved',
  'admin.user_role',
  'admin.user_disabled',
  'admin.user_enabled',
  'admin.user_deleted',
  'admin.connection_created',
  'admin.connection_updated',
  'admin.connection_deleted',
  'admin.signup_mode',
  'admin.group_created',
  'admin.group_updated',
  'admin.group_deleted',
  'admin.group_member_added',
  'admin.group_member_removed',
  'preset.created',
  'preset.updated',
  'preset.deleted',
  'keys.rotated',
] as const;

export function auditParams(filter: AuditFilter): Record<string, string | undefined> {
  return {
    actor_id: filter.actor.trim() || undefined,
    action: filter.action || undefined,
    since: dayStart(filter.from),
    until: dayStart(filter.to, true),
  };
}

/** "api_key.created" → "API key created". */
export function actionLabel(action: string): string {
  const [area = '', what = ''] = action.split('.', 2);
  const noun = { auth: '', api_key: 'API key', admin: '', preset: 'Preset', keys: 'Data keys' }[area] ?? area;
  const words = what.replaceAll('_', ' ');
  const text = noun ? `${noun} ${words}` : words;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
