// Settings > Files: my files page by page, uploads one after another with their progress, and
// a watch on the files the server is still reading (pending, processing) that asks again with
// a growing pause and stops once none is left or nobody is looking.
import { ApiError } from '../api/client';
import {
  deleteFile,
  getFile,
  listFiles,
  reindexFile,
  uploadFile,
  type FilePublic,
  type FileUpload,
} from '../api/files';

const KINDS: Record<string, string> = {
  pdf: 'PDF',
  docx: 'Word',
  pptx: 'PowerPoint',
  xlsx: 'Excel',
  csv: 'CSV',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'Text',
  code: 'Code',
  json: 'JSON',
  unsupported: 'Unsupported',
};

/** What the server read the file as, in words ("Word", "Markdown"); '' before it looked. */
export function kindLabel(kind: string | null): string {
  if (!kind) return '';
  return KINDS[kind] ?? kind.toUpperCase();
}

/** The status chip: "Queued", "Reading 42%", "Ready · 12 passages", "Failed". */
export function statusLabel(file: Pick<FilePublic, 'status' | 'progress' | 'chunk_count'>): string {
  switch (file.status) {
    case 'pending':
      return 'Queued';
    case 'processing':
      return `Reading ${Math.max(0, Math.min(100, Math.round(file.progress)))}%`;
    case 'ready':
      return `Ready · ${file.chunk_count === 1 ? '1 passage' : `${file.chunk_count} passages`}`;
    default:
      return 'Failed';
  }
}

/** Still being read by the server: worth asking about again. */
export function isActive(file: Pick<FilePublic, 'status'>): boolean {
  return file.status === 'pending' || file.status === 'processing';
}

/** An upload in this tab: waiting its turn, being sent, or refused (with the server's words). */
export interface Transfer {
  key: number;
  name: string;
  size: number;
  percent: number;
  state: 'waiting' | 'sending' | 'failed';
  error: string;
}

export interface LibraryOptions {
  pageSize?: number;
  /** The first pause between two looks at the files being read, and the longest. */
  minDelay?: number;
  maxDelay?: number;
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError';

export class FileLibrary {
  items: FilePublic[] = $state([]);
  next: string | null = $state(null);
  loading = $state(false);
  loaded = $state(false);
  /** Why the list (or a page of it) could not be loaded. */
  error = $state('');
  transfers: Transfer[] = $state([]);
  /** The latest change worth telling a screen reader about (an aria-live region shows it). */
  announcement = $state('');

  private readonly pageSize: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private watching = false;
  private generation = 0;
  private sending = false;
  private seq = 0;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- the files themselves, not state
  private readonly queued = new Map<number, File>();
  private current: { key: number; upload: FileUpload } | null = null;

  constructor({ pageSize = 50, minDelay = 1000, maxDelay = 15_000 }: LibraryOptions = {}) {
    this.pageSize = pageSize;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.delay = minDelay;
  }

  /** The screen opened: the first page, and the watch while files are being read. */
  async open(): Promise<void> {
    this.watching = true;
    await this.reload();
  }

  /** The screen closed: no more asking. Uploads under way finish. */
  close(): void {
    this.watching = false;
    this.stopPolling();
  }

  get pollingActive(): boolean {
    return this.timer !== null || this.polling;
  }

  async reload(): Promise<void> {
    this.generation++;
    this.next = null;
    await this.fetchPage(true);
  }

  async more(): Promise<void> {
    if (this.loading || !this.next) return;
    await this.fetchPage(false);
  }

  private async fetchPage(first: boolean): Promise<void> {
    const generation = this.generation;
    this.loading = true;
    this.error = '';
    try {
      const page = await listFiles(first ? null : this.next, this.pageSize);
      if (generation !== this.generation) return;
      if (first) this.items = page.items;
      else {
        // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local lookup, not state
        const known = new Set(this.items.map((file) => file.id));
        this.items = [...this.items, ...page.items.filter((file) => !known.has(file.id))];
      }
      this.next = page.next_cursor;
      this.loaded = true;
      this.watch();
    } catch (error) {
      if (generation === this.generation) this.error = (error as Error).message;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Queues files to upload, one after another. */
  upload(files: Iterable<File>): void {
    for (const file of files) {
      const key = ++this.seq;
      this.queued.set(key, file);
      this.transfers.push({ key, name: file.name, size: file.size, percent: 0, state: 'waiting', error: '' });
    }
    void this.drain();
  }

  /** Stops a transfer: the one being sent is aborted, a waiting one never starts. */
  cancel(key: number): void {
    if (this.current?.key === key) this.current.upload.abort();
    else this.dismiss(key);
  }

  /** Forgets a refused (or waiting) upload. */
  dismiss(key: number): void {
    this.queued.delete(key);
    this.transfers = this.transfers.filter((transfer) => transfer.key !== key);
  }

  private async drain(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const transfer = this.transfers.find((item) => item.state === 'waiting');
        if (!transfer) break;
        await this.send(transfer);
      }
    } finally {
      this.sending = false;
    }
  }

  private async send(transfer: Transfer): Promise<void> {
    const { key, name } = transfer;
    const file = this.queued.get(key);
    this.queued.delete(key);
    if (!file) {
      this.dismiss(key);
      return;
    }
    transfer.state = 'sending';
    const upload = uploadFile(file, (percent) => (transfer.percent = percent));
    this.current = { key, upload };
    try {
      const created = await upload.done;
      this.dismiss(key);
      this.items = [created, ...this.items.filter((item) => item.id !== created.id)];
      this.announcement = `Uploaded ${name}. Confide is reading it.`;
      this.watch();
    } catch (error) {
      if (isAbort(error)) {
        this.dismiss(key);
        this.announcement = `Cancelled the upload of ${name}.`;
      } else {
        transfer.state = 'failed';
        transfer.error = (error as Error).message;
      }
    } finally {
      this.current = null;
    }
  }

  async remove(file: FilePublic): Promise<void> {
    await deleteFile(file.id);
    this.items = this.items.filter((item) => item.id !== file.id);
    this.announcement = `Deleted ${file.name}.`;
  }

  async reindex(file: FilePublic): Promise<void> {
    const updated = await reindexFile(file.id);
    this.put(updated);
    this.announcement = `Reading ${file.name} again.`;
    this.watch();
  }

  private put(file: FilePublic): void {
    this.items = this.items.map((item) => (item.id === file.id ? file : item));
  }

  /** Starts asking about the files being read, from the shortest pause, unless it already is. */
  private watch(): void {
    this.delay = this.minDelay;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.schedule();
  }

  private schedule(): void {
    if (!this.watching || this.polling || this.timer !== null) return;
    if (!this.items.some(isActive)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, this.delay);
  }

  private stopPolling(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One look at every file still being read; quicker again when something moved. */
  private async poll(): Promise<void> {
    this.polling = true;
    let moved = false;
    try {
      const active = this.items.filter(isActive);
      const answers = await Promise.allSettled(active.map((file) => getFile(file.id)));
      answers.forEach((answer, index) => {
        const before = active[index]!;
        if (answer.status === 'fulfilled') moved = this.update(before, answer.value) || moved;
        else if (answer.reason instanceof ApiError && answer.reason.status === 404) {
          this.items = this.items.filter((item) => item.id !== before.id);
        }
      });
    } finally {
      this.polling = false;
    }
    this.delay = moved ? this.minDelay : Math.min(this.maxDelay, this.delay * 2);
    this.schedule();
  }

  /** Takes the server's newer answer; true when the file moved on. */
  private update(before: FilePublic, after: FilePublic): boolean {
    if (!this.items.some((item) => item.id === after.id)) return false; // deleted meanwhile
    this.put(after);
    if (after.status === before.status && after.progress === before.progress) return false;
    if (after.status === 'ready') this.announcement = `${after.name} is ready: ${statusLabel(after).replace('Ready · ', '')}.`;
    else if (after.status === 'failed') this.announcement = `${after.name} could not be read. ${after.error ?? ''}`.trim();
    else if (before.status === 'pending') this.announcement = `Reading ${after.name}.`;
    return true;
  }
}

/** One library for the app: uploads go on while the user looks at another page. */
export const fileLibrary = new FileLibrary();
