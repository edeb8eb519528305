// Two-factor authentication (an authenticator app's codes, and recovery codes): the API's
// shapes, and the small decisions the sign-in page and the settings make about them.
import { ApiError, api } from '../api/client';

export interface TwoFactorStatus {
  enabled: boolean;
  /** Set-up started and not confirmed yet. */
  pending: boolean;
  recovery_codes_left: number;
}

export interface Enrolment {
  /** Base32, for typing into an authenticator app. */
  secret: string;
  /** The otpauth:// address the QR code holds. */
  uri: string;
  /** The QR code: rows of '1' (dark) and '0' (light), quiet zone included. */
  qr: string[];
}

interface RecoveryCodes {
  recovery_codes: string[];
}

const BASE = '/api/auth/two-factor';

export const twoFactor = {
  status: () => api.get<TwoFactorStatus>(BASE),
  setup: (password: string) => api.post<Enrolment>(`${BASE}/setup`, { password }),
  confirm: async (code: string) => (await api.post<RecoveryCodes>(`${BASE}/confirm`, { code })).recovery_codes,
  disable: (password: string) => api.post<void>(`${BASE}/disable`, { password }),
  newCodes: async (password: string) =>
    (await api.post<RecoveryCodes>(`${BASE}/recovery-codes`, { password })).recovery_codes,
};

/** The password was right and the account asks for a second factor. */
export function needsCode(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.reason === 'two_factor_required';
}

/** An admin page refused because this instance requires admins to use two-factor. */
/** The `reason` of the 403 admin routes answer an admin without two-factor when it is required. */
export const ADMIN_REFUSAL = 'two_factor_required_for_admins';

export function twoFactorRefusal(error: unknown): string {
  return error instanceof ApiError && error.status === 403 && error.reason === ADMIN_REFUSAL ? error.message : '';
}

export type CodeKind = 'app' | 'recovery';

/** What is sent for a typed code: an app code without its spaces, a recovery code trimmed. */
export function cleanCode(kind: CodeKind, text: string): string {
  return kind === 'app' ? text.replace(/[\s-]/g, '') : text.trim();
}

/** Why a typed code cannot be right yet ('' when it may be sent). */
export function codeProblem(kind: CodeKind, text: string): string {
  const code = cleanCode(kind, text);
  if (kind === 'recovery') return code ? '' : 'Enter one of your recovery codes.';
  if (!code) return 'Enter the 6-digit code from your authenticator app.';
  return /^\d{6}$/.test(code) ? '' : 'The code is 6 digits.';
}

/** The secret in groups of four, easier to type; apps ignore the spaces. */
export function groupSecret(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? '';
}

/** The text file of recovery codes the settings page offers for download. */
export function recoveryCodesText(codes: readonly string[], account: string, made: Date): string {
  return [
    `Confide recovery codes for ${account}`,
    `Made ${made.toISOString().slice(0, 10)}. Each code works once, in place of a code from your authenticator app.`,
    'Making new codes makes these stop working.',
    '',
    ...codes,
    '',
  ].join('\n');
}

/** Saves `text` as a file through a temporary blob: address (nothing leaves the page). */
export function downloadText(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
