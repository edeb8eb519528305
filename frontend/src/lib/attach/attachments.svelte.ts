// What the next message is sent with: files (uploaded here, or chosen from my files),
// knowledge bases and web pages, each a chip with its state. A file must be read by the
// server before the message can go: the chips are watched until each is ready or failed. A
// web page is read by the server when the message is sent.
import { ApiError } from '../api/client';
import { getFile, uploadFile, type FilePublic, type FileUpload } from '../api/files';
import type { KnowledgeSummary } from '../api/knowledge';
import { shortUrl } from './web';

export const MAX_FILES = 20;
export const MAX_KNOWLEDGE = 10;
export const MAX_WEB = 3;

export type ChipKind = 'file' | 'knowledge' | 'web';

const LIMITS: Record<ChipKind, { max: number; noun: string }> = {
  file: { max: MAX_FILES, noun: 'files' },
  knowledge: { max: MAX_KNOWLEDGE, noun: 'knowledge bases' },
  web: { max: MAX_WEB, noun: 'web pages' },
};

export type ChipState = 'uploading' | 'pending' | 'processing' | 'ready' | 'failed';

export interface Chip {
  key: number;
  kind: ChipKind;
  /** The server's id (a web page's address); null while the file is still being uploaded. */
  id: string | null;
  name: string;
  state: ChipState;
  /** Of the upload, then of the reading. */
  percent: number;
  error: string;
}

const clamp = (value: number) => Math.max(0, Math.min(100, Math.round(value)));

/** The chip's state in words: "Uploading 40%", "Queued", "Reading 12%", "Ready", "Failed";
 * a web page's, "Read when sent". */
export function chipLabel(chip: Chip): string {
  if (chip.kind === 'web') return 'Read when sent';
  switch (chip.state) {
    case 'uploading':
      return `Uploading ${clamp(chip.percent)}%`;
    case 'pending':
      return 'Queued';
    case 'processing':
      return `Reading ${clamp(chip.percent)}%`;
    case 'ready':
      return 'Ready';
    default:
      return 'Failed';
  }
}

/** What the chip shows as its name: a web page's host and path, cut short. */
export function chipName(chip: Pick<Chip, 'kind' | 'name'>): string {
  return chip.kind === 'web' ? shortUrl(chip.name) : chip.name;
}

/** Why the message cannot be sent yet ('' when it can). */
export function sendBlocker(chips: readonly Chip[]): string {
  const failed = chips.find((chip) => chip.state === 'failed');
  if (failed) return `Remove ${failed.name} to send: it could not be ${failed.id ? 'read' : 'uploaded'}.`;
  const uploading = chips.find((chip) => chip.state === 'uploading');
  if (uploading) return `Wait for ${uploading.name} to upload.`;
  const reading = chips.find((chip) => chip.state === 'pending' || chip.state === 'processing');
  if (reading) return `Wait for Confide to finish reading ${reading.name}.`;
  return '';
}

export interface WatchOptions {
  minDelay?: number;
  maxDelay?: number;
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError';

export class Attachments {
  chips: Chip[] = $state([]);
  /** Why the last thing could not be attached (too many). */
  notice = $state('');
  /** The latest change worth telling a screen reader about. */
  announcement = $state('');

  readonly blocker: string = $derived(sendBlocker(this.chips));

  private seq = 0;
  private disposed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private delay: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not state
  private readonly uploads = new Map<number, FileUpload>();

  constructor({ minDelay = 700, maxDelay = 5000 }: WatchOptions = {}) {
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.delay = minDelay;
  }

  get fileIds(): string[] {
    return this.idsOf('file');
  }

  get knowledgeIds(): string[] {
    return this.idsOf('knowledge');
  }

  get urls(): string[] {
    return this.idsOf('web');
  }

  has(kind: ChipKind, id: string): boolean {
    return this.chips.some((chip) => chip.kind === kind && chip.id === id);
  }

  private idsOf(kind: ChipKind): string[] {
    return this.chips.flatMap((chip) => (chip.kind === kind && chip.id ? [chip.id] : []));
  }

  private room(kind: ChipKind): boolean {
    const count = this.chips.filter((chip) => chip.kind === kind).length;
    const { max, noun } = LIMITS[kind];
    this.notice = count < max ? '' : `A message can take up to ${max} ${noun}.`;
    return !this.notice;
  }

  /** One of my files, as it is now (a file still being read is watched). */
  addFile(file: FilePublic): void {
    if (this.has('file', file.id) || !this.room('file')) return;
    const chip: Chip = { key: ++this.seq, kind: 'file', id: file.id, name: file.name, state: 'ready', percent: 0, error: '' };
    this.chips.push(chip);
    this.apply(this.chips.at(-1)!, file);
    this.announcement = `Attached ${file.name}.`;
    this.watch();
  }

  addKnowledge(base: Pick<KnowledgeSummary, 'id' | 'name'>): void {
    if (this.has('knowledge', base.id) || !this.room('knowledge')) return;
    this.chips.push({ key: ++this.seq, kind: 'knowledge', id: base.id, name: base.name, state: 'ready', percent: 0, error: '' });
    this.announcement = `Attached ${base.name}.`;
  }

  /** A web page, by its address (checked by the caller); the server reads it on sending. */
  addWeb(url: string): void {
    if (this.has('web', url) || !this.room('web')) return;
    this.chips.push({ key: ++this.seq, kind: 'web', id: url, name: url, state: 'ready', percent: 0, error: '' });
    this.announcement = `Attached the web page ${shortUrl(url)}.`;
  }

  /** Uploads files from this device, side by side, each with its own chip. */
  upload(files: Iterable<File>): void {
    for (const file of files) {
      if (!this.room('file')) return;
      const key = ++this.seq;
      this.chips.push({ key, kind: 'file', id: null, name: file.name, state: 'uploading', percent: 0, error: '' });
      void this.send(key, file);
    }
  }

  private async send(key: number, file: File): Promise<void> {
    const upload = uploadFile(file, (percent) => {
      const chip = this.find(key);
      if (chip) chip.percent = percent;
    });
    this.uploads.set(key, upload);
    try {
      const created = await upload.done;
      const chip = this.find(key);
      if (!chip) return; // removed meanwhile (the file stays in my files)
      chip.id = created.id;
      this.apply(chip, created);
      this.announcement = `Uploaded ${file.name}. Confide is reading it.`;
      this.watch();
    } catch (error) {
      const chip = this.find(key);
      if (!chip || isAbort(error)) return;
      chip.state = 'failed';
      chip.error = (error as Error).message;
      this.announcement = `${file.name} could not be uploaded. ${chip.error}`;
    } finally {
      this.uploads.delete(key);
    }
  }

  /** Takes back a file or knowledge base chosen from the list. */
  removeItem(kind: ChipKind, id: string): void {
    const chip = this.chips.find((item) => item.kind === kind && item.id === id);
    if (chip) this.remove(chip.key);
  }

  remove(key: number): void {
    this.uploads.get(key)?.abort();
    this.chips = this.chips.filter((chip) => chip.key !== key);
    this.notice = '';
    if (!this.chips.some(isReading)) this.stopWatching();
  }

  /** After sending: the chips go (the server remembers the files for this branch). */
  clear(): void {
    for (const upload of this.uploads.values()) upload.abort();
    this.chips = [];
    this.notice = '';
    this.stopWatching();
  }

  /** The message box is gone: no more watching (uploads under way still finish). */
  dispose(): void {
    this.disposed = true;
    this.stopWatching();
  }

  private find(key: number): Chip | undefined {
    return this.chips.find((chip) => chip.key === key);
  }

  private apply(chip: Chip, file: FilePublic): void {
    chip.name = file.name;
    chip.state = file.status === 'processing' || file.status === 'pending' || file.status === 'ready' ? file.status : 'failed';
    chip.percent = file.status === 'processing' ? file.progress : 0;
    chip.error = chip.state === 'failed' ? (file.error ?? 'It could not be read.') : '';
  }

  private watch(): void {
    this.delay = this.minDelay;
    this.stopWatching();
    this.schedule();
  }

  private schedule(): void {
    if (this.disposed || this.timer !== null || !this.chips.some(isReading)) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, this.delay);
  }

  private stopWatching(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One look at each file being read; quicker again when one moved on. */
  private async poll(): Promise<void> {
    const reading = this.chips.filter(isReading);
    const answers = await Promise.allSettled(reading.map((chip) => getFile(chip.id!)));
    let moved = false;
    answers.forEach((answer, index) => {
      const chip = this.find(reading[index]!.key);
      if (!chip) return;
      if (answer.status === 'fulfilled') {
        const before = `${chip.state}${chip.percent}`;
        this.apply(chip, answer.value);
        moved ||= before !== `${chip.state}${chip.percent}`;
        if (chip.state === 'ready') this.announcement = `${chip.name} is ready.`;
        else if (chip.state === 'failed') this.announcement = `${chip.name} could not be read. ${chip.error}`;
      } else if (answer.reason instanceof ApiError && answer.reason.status === 404) {
        chip.state = 'failed';
        chip.error = 'It was deleted.';
      }
    });
    this.delay = moved ? this.minDelay : Math.min(this.maxDelay, this.delay * 2);
    this.schedule();
  }
}

function isReading(chip: Chip): boolean {
  return chip.id !== null && (chip.state === 'pending' || chip.state === 'processing');
}
