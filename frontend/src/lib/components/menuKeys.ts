// The keyboard of an open menu (a menu button's, ARIA's menu pattern): the arrows move between
// its enabled items, wrapping around; Escape closes it and gives focus back to its `.trigger`
// button; Tab closes it and lets focus move on.

export function menuKeydown(event: KeyboardEvent, root: HTMLElement | undefined, close: () => void): void {
  const items = Array.from(root?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]:not(:disabled)') ?? []);
  const at = items.indexOf(document.activeElement as HTMLButtonElement);
  if (event.key === 'Escape') {
    event.preventDefault();
    event.stopPropagation();
    close();
    root?.querySelector<HTMLButtonElement>('.trigger')?.focus();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    event.stopPropagation();
    const step = event.key === 'ArrowDown' ? 1 : -1;
    items[(at + step + items.length) % items.length]?.focus();
  } else if (event.key === 'Tab') {
    close();
  }
}
