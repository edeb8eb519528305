import { describe, expect, it } from 'vitest';
import { AVATAR_ACCEPT, AVATAR_MAX_BYTES, avatarProblem, initialOf } from './avatar';

describe('avatarProblem', () => {
  it('accepts PNG, JPEG and WebP up to 512 KB', () => {
    for (const type of ['image/png', 'image/jpeg', 'image/webp']) {
      expect(avatarProblem({ size: 1, type })).toBe('');
      expect(avatarProblem({ size: AVATAR_MAX_BYTES, type })).toBe('');
    }
    expect(AVATAR_ACCEPT).toBe('image/png,image/jpeg,image/webp');
  });

  it('refuses other types, SVG and GIF included, and files without a type', () => {
    for (const type of ['image/svg+xml', 'image/gif', 'text/html', '']) {
      expect(avatarProblem({ size: 10, type })).toBe('Choose a PNG, JPEG or WebP picture.');
    }
  });

  it('refuses empty and too big files, saying how big', () => {
    expect(avatarProblem({ size: 0, type: 'image/png' })).toBe('This file is empty.');
    expect(avatarProblem({ size: AVATAR_MAX_BYTES + 1, type: 'image/png' })).toBe(
      'This picture is 513 KB; it can be at most 512 KB.',
    );
    expect(avatarProblem({ size: 3 * 1024 * 1024, type: 'image/jpeg' })).toContain('3.0 MB');
  });
});

describe('initialOf', () => {
  it('is the first letter of the name, else of the email', () => {
    expect(initialOf({ name: ' ada', email: 'x@y.z' })).toBe('A');
    expect(initialOf({ name: '', email: 'bob@example.com' })).toBe('B');
    expect(initialOf(null)).toBe('?');
  });

  it('keeps a character outside the BMP whole', () => {
    expect(initialOf({ name: '𝒜lice' })).toBe('𝒜');
  });
});
