// A chat's messages form a tree (edits and regenerations are siblings); what is shown is
// the branch from the root to the current leaf.
import type { Message } from '../api/types';

export type Messages = Record<string, Message>;

/** The messages from the root down to `leafId`, in order. */
export function branchOf(messages: Messages, leafId: string | null): Message[] {
  const out: Message[] = [];
  const seen = new Set<string>();
  let id = leafId;
  while (id && !seen.has(id)) {
    seen.add(id);
    const message = messages[id];
    if (!message) break;
    out.push(message);
    id = message.parent_id;
  }
  return out.reverse();
}

/** The leaf reached from `id` by always following the newest child. */
export function newestLeafUnder(messages: Messages, id: string): string {
  const children = new Map<string, Message[]>();
  for (const message of Object.values(messages)) {
    if (message.parent_id === null) continue;
    const list = children.get(message.parent_id) ?? [];
    list.push(message);
    children.set(message.parent_id, list);
  }
  let current = id;
  const seen = new Set<string>([current]);
  for (;;) {
    const next = (children.get(current) ?? []).reduce<Message | null>(
      (best, child) => (best === null || child.created_at > best.created_at ? child : best),
      null,
    );
    if (!next || seen.has(next.id)) return current;
    seen.add(next.id);
    current = next.id;
  }
}

/** Position of a message among its siblings, 1-based, and their count. */
export function siblingPosition(message: Message): { index: number; count: number } {
  const count = Math.max(message.sibling_ids.length, 1);
  const index = message.sibling_ids.indexOf(message.id);
  return { index: index === -1 ? 1 : index + 1, count };
}
