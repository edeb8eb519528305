// The browser tab's title: where you are, most general first, then the product's name.
import type { AdminSection, Route, SettingsSection } from '../stores/router.svelte';

export const PRODUCT = 'Confide';

const SETTINGS: Record<SettingsSection, string> = {
  account: 'Account',
  preferences: 'Preferences',
  sessions: 'Sessions',
  'api-keys': 'API keys',
  shares: 'Shared links',
  files: 'Files',
  knowledge: 'Knowledge',
  data: 'Data',
};

const ADMIN: Record<AdminSection, string> = {
  users: 'Users',
  connections: 'Connections',
  presets: 'Presets',
  instance: 'Instance settings',
  audit: 'Audit log',
};

/** The screens App.svelte shows (who may see what is decided there). */
export type Screen =
  | 'loading'
  | 'failed'
  | 'login'
  | 'signup'
  | 'first-run'
  | 'pending'
  | 'settings'
  | 'admin'
  | 'admins-only'
  | 'shared'
  | 'chat';

export function documentTitle(...parts: string[]): string {
  return [...parts.filter(Boolean), PRODUCT].join(' · ');
}

/** `chatTitle` is the open chat's title, '' while it is not known yet. */
export function titleFor(screen: Screen, route: Route, chatTitle = ''): string {
  switch (screen) {
    case 'loading':
      return documentTitle();
    case 'failed':
      return documentTitle('Error');
    case 'login':
      return documentTitle('Sign in');
    case 'signup':
      return documentTitle('Create an account');
    case 'first-run':
      return documentTitle('Create the admin account');
    case 'pending':
      return documentTitle('Waiting for approval');
    case 'admins-only':
      return documentTitle('Admins only');
    case 'shared':
      return documentTitle(chatTitle.trim() || 'Shared chat');
    case 'settings':
      return documentTitle('Settings', route.name === 'settings' ? SETTINGS[route.section] : '');
    case 'admin':
      return documentTitle('Admin', route.name === 'admin' ? ADMIN[route.section] : '');
    case 'chat':
      return chatScreenTitle(route, chatTitle);
  }
}

function chatScreenTitle(route: Route, chatTitle: string): string {
  if (route.name === 'archived') return documentTitle('Archived chats');
  if (route.name === 'not-found') return documentTitle('Not found');
  if (route.name === 'chat') return documentTitle(chatTitle.trim() || 'Chat');
  return documentTitle('New chat');
}
