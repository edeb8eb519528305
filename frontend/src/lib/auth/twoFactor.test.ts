import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { cleanCode, codeProblem, groupSecret, needsCode, recoveryCodesText, twoFactorRefusal } from './twoFactor';

describe('needsCode', () => {
  it('is the 401 whose reason asks for a second factor', () => {
    expect(needsCode(new ApiError(401, 'Enter the code.', {}, 'two_factor_required'))).toBe(true);
  });

  it('is not a wrong password, a wrong code or another error', () => {
    expect(needsCode(new ApiError(401, 'Wrong email or password.'))).toBe(false);
    expect(needsCode(new ApiError(429, 'Too many attempts.', {}, 'two_factor_required'))).toBe(false);
    expect(needsCode(new Error('offline'))).toBe(false);
  });
});

describe('twoFactorRefusal', () => {
  it('is the message of a 403 about two-factor', () => {
    const message = 'This instance requires administrators to use two-factor authentication.';
    expect(twoFactorRefusal(new ApiError(403, message, {}, 'two_factor_required_for_admins'))).toBe(message);
  });

  it('is empty for other refusals', () => {
    expect(twoFactorRefusal(new ApiError(403, 'You are not allowed to do that.'))).toBe('');
    expect(twoFactorRefusal(new ApiError(403, 'Something about two-factor.'))).toBe('');
    expect(twoFactorRefusal(new ApiError(409, 'Turn on two-factor first.'))).toBe('');
    expect(twoFactorRefusal(new Error('two-factor'))).toBe('');
  });
});

describe('codes as typed', () => {
  it('sends an app code without spaces or dashes', () => {
    expect(cleanCode('app', ' 123 456 ')).toBe('123456');
    expect(cleanCode('app', '123-456')).toBe('123456');
  });

  it('sends a recovery code as typed, trimmed', () => {
    expect(cleanCode('recovery', ' abcd-efgh-jkmn-pqrs\n')).toBe('abcd-efgh-jkmn-pqrs');
  });

  it('says what is missing before sending', () => {
    expect(codeProblem('app', '')).toBe('Enter the 6-digit code from your authenticator app.');
    expect(codeProblem('app', '12345')).toBe('The code is 6 digits.');
    expect(codeProblem('app', '12345a')).toBe('The code is 6 digits.');
    expect(codeProblem('app', '123 456')).toBe('');
    expect(codeProblem('recovery', '  ')).toBe('Enter one of your recovery codes.');
    expect(codeProblem('recovery', 'abcd-efgh-jkmn-pqrs')).toBe('');
  });
});

describe('groupSecret', () => {
  it('groups the secret by four', () => {
    expect(groupSecret('ABCDEFGHIJ')).toBe('ABCD EFGH IJ');
    expect(groupSecret('')).toBe('');
  });
});

describe('recoveryCodesText', () => {
  it('names the account and the date and lists one code a line', () => {
    const text = recoveryCodesText(['aaaa-bbbb', 'cccc-dddd'], 'ada@example.com', new Date('2025-03-04T12:00:00Z'));
    const lines = text.split('\n');
    expect(lines[0]).toBe('Confide recovery codes for ada@example.com');
    expect(lines[1]).toContain('Made 2025-03-04.');
    expect(lines[1]).toContain('Each code works once');
    expect(lines.slice(4, 6)).toEqual(['aaaa-bbbb', 'cccc-dddd']);
    expect(text.endsWith('\n')).toBe(true);
  });
});
