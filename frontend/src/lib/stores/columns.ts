// Several models answering one message side by side: the replies under a user message,
// one column per model, each with its own versions (regenerations of that model's reply).
import type { Message } from '../api/types';
import type { Messages } from './tree';

export interface ReplyColumn {
  model: string;
  /** This model's replies to the message, oldest first (the column's versions). */
  versions: Message[];
  shown: Message;
  /** The reply the conversation goes on from (on the current branch). */
  current: boolean;
}

/** The columns for the replies under `userId`, or null when only one model answered.
 * `next` is the reply on the current branch; `chosen` maps a model to the version picked
 * in its column (for the columns the conversation does not go on from). */
export function replyColumns(
  messages: Messages,
  userId: string,
  next: Message | undefined,
  chosen: Record<string, string> = {},
): ReplyColumn[] | null {
  const replies = Object.values(messages)
    .filter((m) => m.parent_id === userId && m.role === 'assistant')
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const byModel = new Map<string, Message[]>();
  for (const reply of replies) {
    const model = reply.model ?? '';
    byModel.set(model, [...(byModel.get(model) ?? []), reply]);
  }
  if (byModel.size < 2) return null;
  return [...byModel].map(([model, versions]) => {
    const current = versions.find((m) => m.id === next?.id);
    const picked = versions.find((m) => m.id === chosen[model]);
    return { model, versions, shown: current ?? picked ?? versions.at(-1)!, current: !!current };
  });
}
