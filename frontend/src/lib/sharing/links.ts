// Share links: a read-only snapshot of a chat behind a link the owner can revoke. The server
// answers each share with its link; the app only makes it absolute for the copy button.
import { api } from '../api/client';
import type { Share, SharedChat } from '../api/types';

/** Tokens the server makes (URL-safe base64); anything else is never sent to the API. */
const TOKEN = /^[A-Za-z0-9_-]{8,128}$/;

export function isShareToken(token: string): boolean {
  return TOKEN.test(token);
}

/** The link to copy: the server's `url` when it gave an absolute one, else this origin's
 * `/s/<token>`. Only http(s) links are ever offered. */
export function shareLink(share: Pick<Share, 'url' | 'token'>, origin: string): string {
  const fallback = new URL(`/s/${encodeURIComponent(share.token)}`, origin).href;
  if (!share.url) return fallback;
  try {
    const url = new URL(share.url, origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : fallback;
  } catch {
    return fallback;
  }
}

/** The API lists either a bare array or a page (`{items: [...]}`): both read the same. */
export function sharesOf(answer: Share[] | { items: Share[] }): Share[] {
  const items = Array.isArray(answer) ? answer : answer.items;
  return [...items].sort((a, b) => b.created_at.localeCompare(a.created_at));
}

const chatPath = (chatId: string) => `/api/chats/${encodeURIComponent(chatId)}/shares`;

export async function createShare(chatId: string, isPublic: boolean): Promise<Share> {
  return api.post<Share>(chatPath(chatId), { public: isPublic });
}

export async function chatShares(chatId: string): Promise<Share[]> {
  return sharesOf(await api.get<Share[] | { items: Share[] }>(chatPath(chatId)));
}

export async function myShares(): Promise<Share[]> {
  return sharesOf(await api.get<Share[] | { items: Share[] }>('/api/shares'));
}

export async function revokeShare(id: string): Promise<void> {
  await api.del(`/api/shares/${encodeURIComponent(id)}`);
}

export async function openShared(token: string): Promise<SharedChat> {
  return api.get<SharedChat>(`/api/shared/${encodeURIComponent(token)}`);
}

/** Whether this instance lets a share be opened by anyone, not only signed-in users. */
export async function publicLinksAllowed(): Promise<boolean> {
  return (await api.get<{ public_allowed: boolean }>('/api/shares/options')).public_allowed;
}
