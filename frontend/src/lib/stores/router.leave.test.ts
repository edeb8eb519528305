import { afterEach, describe, expect, it } from 'vitest';
import { router } from './router.svelte';

// Asking before leaving a page (a temporary chat with messages): router.beforeLeave.
describe('router.beforeLeave', () => {
  afterEach(() => {
    router.beforeLeave = null;
    router.go('/', { replace: true });
  });

  it('keeps the page when it answers false, and lets redirects through', () => {
    router.go('/', { replace: true });
    const asked: string[] = [];
    router.beforeLeave = (path) => (asked.push(path), false);
    router.go('/archived');
    expect(router.path).toBe('/');
    expect(window.location.pathname).toBe('/');
    router.go('/login', { replace: true }); // a redirect (signed out): never held back
    expect(router.path).toBe('/login');
    expect(asked).toEqual(['/archived']);
  });

  it('puts the address back when Back is refused', () => {
    router.go('/', { replace: true });
    window.history.pushState(null, '', '/archived');
    router.beforeLeave = () => false;
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(router.path).toBe('/');
    expect(window.location.pathname).toBe('/');
    router.beforeLeave = () => true;
    window.history.pushState(null, '', '/archived');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(router.path).toBe('/archived');
  });
});
