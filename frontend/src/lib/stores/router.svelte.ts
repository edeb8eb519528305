// Client-side routes. The server answers each of these paths with the app (see home.py).

export type Route =
  | { name: 'home' }
  | { name: 'chat'; id: string }
  | { name: 'archived' }
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'pending' }
  | { name: 'settings'; section: SettingsSection; id?: string } // id: /settings/knowledge/<id>
  | { name: 'admin'; section: AdminSection }
  | { name: 'shared'; token: string }
  | { name: 'not-found' };

export const SETTINGS_SECTIONS = ['account', 'preferences', 'sessions', 'api-keys', 'shares', 'files', 'knowledge', 'data'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];
export const ADMIN_SECTIONS = ['users', 'connections', 'presets', 'instance', 'audit'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

/** `/settings` or `/settings/<section>` (the first section when none is named). */
function sectionOf<T extends string>(rest: string | undefined, sections: readonly T[]): T | null {
  if (!rest) return sections[0]!;
  return sections.find((section) => section === rest) ?? null;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

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
  } else if (top === 'settings' && sub === 'knowledge' && extra.length === 1 && ID.test(extra[0]!)) {
    return { name: 'settings', section: 'knowledge', id: extra[0]! };
  } else if (top === 'admin' && !extra.length) {
    const section = sectionOf(sub, ADMIN_SECTIONS);
    if (section) return { name: 'admin', section };
  }
  const chat = /^\/c\/([^/]+)$/.exec(clean);
  if (chat && ID.test(chat[1]!)) return { name: 'chat', id: chat[1]! };
  const shared = /^\/s\/([^/]+)$/.exec(clean);
  if (shared && TOKEN.test(shared[1]!)) return { name: 'shared', token: shared[1]! };
  return { name: 'not-found' };
}

/** Where to go after signing in: `?next=` when it is a page of this app (a shared chat's
 * "sign in" link comes back to it), else the chats. Never another origin. */
export function afterSignIn(search: string): string {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once, not state
  const next = new URLSearchParams(search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  const route = parseRoute(next);
  return route.name === 'not-found' || route.name === 'login' ? '/' : next;
}

/** The sign-in page's address that comes back to `path` afterwards. */
export function signInFor(path: string): string {
  return `/login?next=${encodeURIComponent(path)}`;
}

class Router {
  path = $state(window.location.pathname);
  route: Route = $derived(parseRoute(this.path));

  constructor() {
    window.addEventListener('popstate', () => {
      const path = window.location.pathname;
      // Refused (see beforeLeave): the address goes back to the page still shown.
      if (path !== this.path && this.beforeLeave?.(path) === false) {
        window.history.pushState(null, '', this.path);
        return;
      }
      this.path = path;
    });
  }

  /** Asked before the user moves to another page; false keeps them here (it may navigate
   * later itself, e.g. once a dialog is answered). Redirects (`replace`) are not asked. */
  beforeLeave: ((path: string) => boolean) | null = null;

  go(path: string, { replace = false } = {}): void {
    if (path === this.path) return;
    if (!replace && this.beforeLeave?.(path) === false) return;
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
