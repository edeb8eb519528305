import { describe, expect, it, vi } from 'vitest';
import { menuKeydown } from './menuKeys';

function menu() {
  const root = document.createElement('div');
  root.innerHTML = `<button class="trigger">Open</button>
    <button role="menuitem">One</button><button role="menuitem" disabled>Off</button>
    <button role="menuitem">Two</button>`;
  document.body.replaceChildren(root);
  const [trigger, one, , two] = Array.from(root.querySelectorAll('button'));
  if (!trigger || !one || !two) throw new Error('the menu was not built');
  return { root, trigger, one, two };
}

const key = (name: string) => new KeyboardEvent('keydown', { key: name, cancelable: true });

describe('menuKeydown', () => {
  it('moves between enabled items with the arrows, wrapping around', () => {
    const { root, one, two } = menu();
    const close = vi.fn();
    one.focus();
    menuKeydown(key('ArrowDown'), root, close);
    expect(document.activeElement).toBe(two); // the disabled item is skipped
    menuKeydown(key('ArrowDown'), root, close);
    expect(document.activeElement).toBe(one);
    menuKeydown(key('ArrowUp'), root, close);
    expect(document.activeElement).toBe(two);
    expect(close).not.toHaveBeenCalled();
  });

  it('closes on Escape, giving focus back to the trigger, and on Tab', () => {
    const { root, one, trigger } = menu();
    const close = vi.fn();
    one.focus();
    const escape = key('Escape');
    menuKeydown(escape, root, close);
    expect(close).toHaveBeenCalledOnce();
    expect(escape.defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(trigger);
    menuKeydown(key('Tab'), root, close);
    expect(close).toHaveBeenCalledTimes(2);
    menuKeydown(key('a'), root, close);
    expect(close).toHaveBeenCalledTimes(2);
  });
});
