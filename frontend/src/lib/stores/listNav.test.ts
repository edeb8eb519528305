import { describe, expect, it } from 'vitest';
import { isNavKey, moveActive, nearEnd } from './listNav';

describe('moveActive', () => {
  it('moves down and up, clamped at both ends', () => {
    expect(moveActive(0, 3, 'ArrowDown')).toBe(1);
    expect(moveActive(2, 3, 'ArrowDown')).toBe(2);
    expect(moveActive(1, 3, 'ArrowUp')).toBe(0);
    expect(moveActive(0, 3, 'ArrowUp')).toBe(0);
  });

  it('starts at the first (down) or the last (up) when none is active', () => {
    expect(moveActive(-1, 4, 'ArrowDown')).toBe(0);
    expect(moveActive(-1, 4, 'ArrowUp')).toBe(3);
    expect(moveActive(9, 4, 'ArrowDown')).toBe(0); // the list shrank under it
  });

  it('pages by five', () => {
    expect(moveActive(0, 20, 'PageDown')).toBe(5);
    expect(moveActive(18, 20, 'PageDown')).toBe(19);
    expect(moveActive(3, 20, 'PageUp')).toBe(0);
  });

  it('has nothing to move through in an empty list', () => {
    expect(moveActive(0, 0, 'ArrowDown')).toBe(-1);
  });
});

describe('isNavKey and nearEnd', () => {
  it('knows the keys it moves with', () => {
    expect(isNavKey('ArrowDown')).toBe(true);
    expect(isNavKey('Enter')).toBe(false);
    expect(isNavKey('constructor')).toBe(false);
  });

  it('says when the active item is close to the end', () => {
    expect(nearEnd(16, 20)).toBe(true);
    expect(nearEnd(10, 20)).toBe(false);
    expect(nearEnd(-1, 0)).toBe(false);
  });
});
