// Admin > instance settings: which model embeds files (the built-in one, or a model of a
// connection: see modelChoice.ts), and how many files still wait for it.

export const BUILT_IN_LABEL = 'Built-in all-MiniLM-L6-v2 (offline)';

/** "3 files being re-embedded"; '' when none is waiting. */
export function reembedding(count: number | undefined): string {
  if (!count || count < 1) return '';
  return count === 1 ? '1 file being re-embedded' : `${count.toLocaleString('en')} files being re-embedded`;
}
