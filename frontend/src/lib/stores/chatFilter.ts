// The sidebar's quick filter: the chats already loaded whose title holds every word typed.
// (Full-text search over messages is a server feature still to come.)
import type { ChatSummary } from '../api/types';

export function chatFilterMatches(chats: readonly ChatSummary[], text: string): ChatSummary[] {
  const words = text.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [...chats];
  return chats.filter((chat) => {
    const title = chat.title.toLocaleLowerCase();
    return words.every((word) => title.includes(word));
  });
}
