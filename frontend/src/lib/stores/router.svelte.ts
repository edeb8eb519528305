// Client-side routes. The server answers each of these paths with the app (see home.py).

export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'archived' }
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'pending' }
  | { name: 'settings'; section: SettingsSection }
  | { name: 'admin'; section: AdminSection }
  | { name: 'not-found' };

export const SETTINGS_SECTIONS = ['account', 'preferences', 'sessions', 'api-keys', 'data'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];
export const ADMIN_SECTIONS = ['users', 'connections', 'presets', 'instance', 'audit'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

/** `/settings` or `/settings/<section>` (the first section when none is named). */
function sectionOf<T extends string>(rest: string | undefined, sections: readonly T[]): T | null {
  if (!rest) return sections[0]!;
  return sections.find((section) => section === rest) ?? null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseRoute(path: string): Route {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/') return { name: 'home' };
  if (clean === '/login') return { name: 'login' };
  if (clean === '/signup') return { name: 'signup' };
  if (clean === '/pending') return { name: 'pending' };
  if (clean === '/archived') return { name: 'archived' };
  const [, top, sub, ...extra] = clean.split('/');
  if (top === 'settings' && !extra.length) {
    const section = sectionOf(sub, SETTINGS_SECTIONS);
    if (section) return { name: 'settings', section };
  } else if (top === 'admin' && !extra.length) {
    const section = sectionOf(sub, ADMIN_SECTIONS);
    if (section) return { name: 'admin', section };
  }
  const chat = /^\/c\/([^/]+)$/.exec(clean);
  if (chat && ID.test(chat[1]!)) return { name: 'chat', id: chat[1]! };
  return { name: 'not-found' };
}

class Router {
  path = $state(window.location.pathname);
  route: Route = $derived(parseRoute(this.path));

  constructor() {
    window.addEventListener('popstate', () => {
      this.path = window.location.pathname;
    });
  }

  go(path: string, { replace = false } = {}): void {
    if (path === this.path) return;
    if (replace) window.history.replaceState(null, '', path);
    else window.history.pushState(null, '', path);
    this.path = path;
  }
}

export const router = new Router();

/** onclick for in-app links: plain clicks navigate without a reload; modified ones (new tab)
 * keep the browser's behaviour. */
export function navigate(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.currentTarget as HTMLElement).closest('a');
  const href = anchor?.getAttribute('href');
  if (!href?.startsWith('/')) return;
  event.preventDefault();
  router.go(href);
}
