// Which result is active in a list driven from a text box (aria-activedescendant): the
// arrow keys move it, the box keeps the focus. -1: none.

export type NavKey = 'ArrowDown' | 'ArrowUp' | 'PageDown' | 'PageUp';

const STEPS: Record<NavKey, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 5, PageUp: -5 };

export function isNavKey(key: string): key is NavKey {
  return Object.hasOwn(STEPS, key);
}

/** The active index after `key` in a list of `count` items: clamped at both ends (Down from
 * none lands on the first, Up from none on the last). */
export function moveActive(active: number, count: number, key: NavKey): number {
  if (count <= 0) return -1;
  const step = STEPS[key];
  if (active < 0 || active >= count) return step > 0 ? 0 : count - 1;
  return Math.min(count - 1, Math.max(0, active + step));
}

/** Whether moving down from `active` reached the end of what is loaded (time for more). */
export function nearEnd(active: number, count: number, margin = 3): boolean {
  return count > 0 && active >= count - 1 - margin;
}
