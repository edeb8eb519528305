// The open chat: its message tree, the branch on screen, sending, and following replies
// while they are generated (also after a reload: a reply still streaming is picked up).
import { api } from '../api/client';
import { followReply, type FinalState } from '../api/follow';
import type { ChatDetail, ChatSummary, Message, SendResult } from '../api/types';
import { chatChanged, deleteChat, historyFilter, NO_FOLDER } from './chats.svelte';
import { replyColumns } from './columns';
import { branchOf, newestLeafUnder, type Messages } from './tree';

const TITLE_RECHECK_MS = [800, 2500, 6000];

/** What a message is sent with: ids of my files and of knowledge bases I may read, and the
 * addresses of web pages (read by the server while it takes the message). */
export interface SendWith {
  file_ids?: string[];
  knowledge_ids?: string[];
  urls?: string[];
}

/** Only the non-empty lists go in the body. */
function withAttachments(attach: SendWith): SendWith {
  const body: SendWith = {};
  if (attach.file_ids?.length) body.file_ids = attach.file_ids;
  if (attach.knowledge_ids?.length) body.knowledge_ids = attach.knowledge_ids;
  if (attach.urls?.length) body.urls = attach.urls;
  return body;
}

/** A sent message's attachments, to send again with an edit of it. */
function attachedTo(message: Message): SendWith {
  const ids = (kind: string) => (message.attachments ?? []).filter((item) => item.kind === kind).map((item) => item.id);
  return withAttachments({ file_ids: ids('file'), knowledge_ids: ids('knowledge'), urls: ids('web') });
}

function chatPath(id: string, suffix = ''): string {
  return `/api/chats/${encodeURIComponent(id)}${suffix}`;
}

export class Conversation {
  chatId: string | null = $state(null);
  title = $state('');
  /** The open chat as the chat list knows it (its folder and tags too); null for a new one. */
  summary: ChatSummary | null = $state.raw(null);
  messages: Messages = $state({});
  leafId: string | null = $state(null);
  loading = $state(false);
  sending = $state(false);
  error: string | null = $state(null);
  /** The text being sent, shown at once while the server stores it. */
  pendingText: string | null = $state(null);

  branch: Message[] = $derived(branchOf(this.messages, this.leafId));
  /** Some reply is being written (on this branch, or in a column beside it). */
  streaming: boolean = $derived(Object.values(this.messages).some((m) => m.status === 'streaming'));
  /** Per model, the version shown in a side-by-side column the conversation does not go
   * on from (see columns.ts). Only for this page: the server keeps one current branch. */
  chosenColumns: Record<string, string> = $state({});
  /** The model that wrote the latest reply on screen: the picker follows it. */
  lastModel: string | null = $derived(
    this.branch.findLast((message) => message.role === 'assistant')?.model ?? null,
  );

  /** The models that answered the latest message side by side (else the one that did). */
  lastModels: string[] = $derived.by(() => {
    const asked = this.branch.findLast((message) => message.role === 'user');
    const columns = asked ? replyColumns(this.messages, asked.id, undefined) : null;
    return columns ? columns.map((column) => column.model) : this.lastModel ? [this.lastModel] : [];
  });

  // Bookkeeping, deliberately not reactive: the screen shows `messages`, never these.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private follows = new Map<string, AbortController>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private pendingDeltas = new Map<string, string>();
  private frame = 0;

  /** Shows chat `id` (null: a new, empty chat). */
  async open(id: string | null): Promise<void> {
    if (id !== null && id === this.chatId) return;
    this.reset();
    this.chatId = id;
    if (id === null) return;
    this.loading = true;
    try {
      await this.refresh();
    } catch (error) {
      if (this.chatId === id) this.error = (error as Error).message;
    } finally {
      if (this.chatId === id) this.loading = false;
    }
  }

  /** Leaves the chat: stops following (the replies go on on the server). */
  reset(): void {
    for (const controller of this.follows.values()) controller.abort();
    this.follows.clear();
    this.pendingDeltas.clear();
    this.chatId = null;
    this.title = '';
    this.summary = null;
    this.messages = {};
    this.leafId = null;
    this.error = null;
    this.loading = false; // a chat left before it loaded must not leave "Loading…" behind
    this.pendingText = null;
    this.sending = false;
    this.chosenColumns = {};
  }

  /** Sends to one model, or to several at once (side by side), with files and knowledge
   * bases if any. */
  async send(content: string, model: string | string[], attach: SendWith = {}): Promise<string | null> {
    if (this.sending) return null;
    this.sending = true;
    this.error = null;
    this.pendingText = content;
    const fresh = this.chatId === null;
    try {
      const chatId = this.chatId ?? (await this.create());
      const which = Array.isArray(model) && model.length > 1 ? { models: model } : { model: [model].flat()[0] };
      await this.post(chatId, { content, ...which, ...withAttachments(attach), parent_id: this.leafId ?? undefined });
      return chatId;
    } catch (error) {
      this.error = (error as Error).message;
      // A chat made for a first message the server refused would stay behind empty.
      if (fresh && this.chatId) await this.discard(this.chatId);
      return this.chatId;
    } finally {
      this.pendingText = null;
      this.sending = false;
    }
  }

  /** Another answer to the same user message, as a sibling of `reply`. */
  async regenerate(reply: Message, model: string): Promise<void> {
    if (!this.chatId || !reply.parent_id) return;
    await this.act(() => this.post(this.chatId!, { model: reply.model ?? model, parent_id: reply.parent_id }));
  }

  /** An edited user message becomes a new branch beside the original (for the first
   * message, a new root: the chat starts over beside the old start). */
  async edit(message: Message, content: string, model: string): Promise<void> {
    if (!this.chatId) return;
    const where = message.parent_id === null ? { at_root: true } : { parent_id: message.parent_id };
    await this.act(() => this.post(this.chatId!, { content, model, ...attachedTo(message), ...where }));
  }

  /** Shows the sibling `siblingId` (and the newest replies below it). */
  async showSibling(siblingId: string): Promise<void> {
    if (!this.chatId) return;
    const leaf = newestLeafUnder(this.messages, siblingId);
    this.leafId = leaf;
    this.syncFollows();
    await this.act(async () => {
      await api.patch<ChatSummary>(chatPath(this.chatId!), { current_leaf_id: leaf });
    });
  }

  /** Deletes a message and every reply below it; a sibling, if any, takes its place. */
  async deleteMessage(message: Message): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    const sibling = message.sibling_ids.find((id) => id !== message.id) ?? null;
    await this.act(async () => {
      await api.del(chatPath(chatId, `/messages/${encodeURIComponent(message.id)}`));
      await this.refresh();
      if (sibling && this.messages[sibling]) await this.showSibling(sibling);
    });
  }

  /** Shows `id` in its side-by-side column without making it the current branch. */
  chooseInColumn(model: string, id: string): void {
    this.chosenColumns = { ...this.chosenColumns, [model]: id };
  }

  async stop(only?: Message): Promise<void> {
    const chatId = this.chatId;
    if (!chatId) return;
    const live = only ? [only] : Object.values(this.messages).filter((m) => m.status === 'streaming');
    await this.act(async () => {
      await Promise.all(
        live.map((message) => api.post(chatPath(chatId, `/messages/${message.id}/stop`))),
      );
    });
  }

  private async act(work: () => Promise<void>): Promise<void> {
    this.error = null;
    try {
      await work();
    } catch (error) {
      this.error = (error as Error).message;
    }
  }

  private async discard(chatId: string): Promise<void> {
    try {
      await deleteChat(chatId);
      this.chatId = null;
    } catch {
      // Still there: it shows in the history, empty, and can be deleted from there.
    }
  }

  private async create(): Promise<string> {
    // A chat started while the sidebar shows a folder goes into that folder.
    const folder = historyFilter.folderId;
    const body = folder !== null && folder !== NO_FOLDER ? { folder_id: folder } : {};
    const chat = await api.post<ChatSummary>('/api/chats', body);
    this.chatId = chat.id;
    this.title = chat.title;
    this.changed(chat);
    return chat.id;
  }

  private async post(chatId: string, body: Record<string, unknown>): Promise<void> {
    await api.post<SendResult>(chatPath(chatId, '/messages'), body);
    await this.refresh();
  }

  /** Reloads the whole tree and follows every reply on the branch still being written. */
  private async refresh(): Promise<void> {
    const id = this.chatId;
    if (!id) return;
    const detail = await api.get<ChatDetail>(chatPath(id, '?tree=true'));
    if (this.chatId !== id) return;
    const messages: Messages = {};
    for (const message of detail.messages) {
      const followed = this.follows.has(message.id) ? this.messages[message.id] : undefined;
      messages[message.id] = followed ?? message;
    }
    this.messages = messages;
    this.leafId = detail.current_leaf_id;
    this.title = detail.title;
    this.changed(summaryOf(detail));
    this.syncFollows();
  }

  /** The open chat changed on the server (or its tags or folder did, from elsewhere). */
  changed(chat: ChatSummary): void {
    if (chat.id === this.chatId) this.summary = chat;
    chatChanged(chat);
  }

  private syncFollows(): void {
    const chatId = this.chatId;
    if (!chatId) return;
    // Every reply still being written: the branch's, and those in columns beside it.
    for (const message of Object.values(this.messages)) {
      if (message.status !== 'streaming' || this.follows.has(message.id)) continue;
      const controller = new AbortController();
      this.follows.set(message.id, controller);
      void followReply(chatId, message.id, this.handlersFor(message.id), controller.signal);
    }
  }

  private handlersFor(id: string) {
    return {
      onText: (text: string) => {
        this.pendingDeltas.delete(id);
        const message = this.messages[id];
        if (message) message.content = text;
      },
      onDelta: (text: string) => {
        this.pendingDeltas.set(id, (this.pendingDeltas.get(id) ?? '') + text);
        this.frame ||= requestAnimationFrame(() => this.flush());
      },
      onEnd: (final: FinalState) => {
        this.flush();
        this.follows.delete(id);
        const message = this.messages[id];
        if (!message) return;
        message.status = final.status;
        message.error = final.error;
        message.finish_reason = final.finish_reason;
        message.usage = final.usage;
        void this.recheckTitle();
        if (!message.sources?.length && this.branch.some((item) => item.attachments?.length)) void this.loadSources(id);
      },
    };
  }

  /** Applies the deltas gathered since the last frame: one render per frame, not per token. */
  private flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    for (const [id, text] of this.pendingDeltas) {
      const message = this.messages[id];
      if (message) message.content += text;
    }
    this.pendingDeltas.clear();
  }

  /** A finished reply's sources (the passages it was given), which the stream does not carry. */
  private async loadSources(messageId: string): Promise<void> {
    const id = this.chatId;
    if (!id) return;
    try {
      const detail = await api.get<ChatDetail>(chatPath(id, '?tree=true'));
      const found = detail.messages.find((message) => message.id === messageId);
      const message = this.messages[messageId];
      if (this.chatId === id && message && found?.sources) message.sources = found.sources;
    } catch {
      // Not now: they show when the chat is opened again.
    }
  }

  /** The title is written in the background after the first reply: look again a few times. */
  private async recheckTitle(): Promise<void> {
    const id = this.chatId;
    if (!id) return;
    for (const delay of [0, ...TITLE_RECHECK_MS]) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.chatId !== id) return;
      try {
        const chat = await api.get<ChatSummary>(chatPath(id));
        if (this.chatId !== id) return;
        const changed = chat.title !== this.title;
        this.title = chat.title;
        this.changed(summaryOf(chat));
        if (changed && delay > 0) return;
      } catch {
        return; // the chat is gone or we are signed out: nothing to update
      }
    }
  }
}

function summaryOf(chat: ChatSummary): ChatSummary {
  const { id, title, pinned, archived, folder_id, tags, created_at, updated_at } = chat;
  return { id, title, pinned, archived, folder_id, tags, created_at, updated_at };
}

export const conversation = new Conversation();
