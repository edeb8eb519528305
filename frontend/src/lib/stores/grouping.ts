import type { ChatSummary } from '../api/types';

export interface ChatGroup {
  label: string;
  chats: ChatSummary[];
}

const DAY = 24 * 60 * 60 * 1000;

/** Pinned first, then Today / Previous 7 days / Older by last activity (local time), each
 * keeping the order it was given (the API's: newest first). Empty groups are left out. */
export function groupChats(chats: ChatSummary[], now: Date = new Date()): ChatGroup[] {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const weekAgo = midnight - 7 * DAY;
  const groups: ChatGroup[] = [
    { label: 'Pinned', chats: [] },
    { label: 'Today', chats: [] },
    { label: 'Previous 7 days', chats: [] },
    { label: 'Older', chats: [] },
  ];
  for (const chat of chats) {
    const when = Date.parse(chat.updated_at);
    const index = chat.pinned ? 0 : when >= midnight ? 1 : when >= weekAgo ? 2 : 3;
    groups[index]!.chats.push(chat);
  }
  return groups.filter((group) => group.chats.length > 0);
}
