// Profile pictures: what the browser checks before uploading (the server checks again, from the
// file's bytes), and the letter shown when there is no picture.

export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const AVATAR_MAX_BYTES = 512 * 1024;
export const AVATAR_ACCEPT = AVATAR_TYPES.join(',');

/** Why this file cannot be a profile picture, in words for a person; '' when it can be sent. */
export function avatarProblem(file: { size: number; type: string }): string {
  if (!(AVATAR_TYPES as readonly string[]).includes(file.type)) {
    return 'Choose a PNG, JPEG or WebP picture.';
  }
  if (file.size === 0) return 'This file is empty.';
  if (file.size > AVATAR_MAX_BYTES) {
    return `This picture is ${sizeText(file.size)}; it can be at most 512 KB.`;
  }
  return '';
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** The letter standing in for a missing picture: the name's first, else the email's. */
export function initialOf(user: { name?: string | null; email?: string | null } | null | undefined): string {
  const text = (user?.name || user?.email || '?').trim();
  const first = Array.from(text)[0] ?? '?';
  return first.toUpperCase();
}
