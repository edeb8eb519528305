// Taking chats out (export downloads) and bringing them in (an import file uploaded with
// progress). Downloads are plain same-origin links: the browser streams them to disk.
import { type Upload, uploadWithProgress } from '../api/upload';
import type { ExportFormat, ImportItem, ImportResult } from '../api/types';

export const EXPORT_FORMATS: { format: ExportFormat; label: string; hint: string }[] = [
  { format: 'json', label: 'JSON', hint: 'Everything, branches included; Confide imports it back.' },
  { format: 'markdown', label: 'Markdown', hint: 'Readable, with headings and code blocks.' },
  { format: 'text', label: 'Text', hint: 'Plain text, one message after another.' },
];

export function chatExportUrl(chatId: string, format: ExportFormat): string {
  return `/api/chats/${encodeURIComponent(chatId)}/export?format=${format}`;
}

export function allChatsExportUrl(format: ExportFormat): string {
  return `/api/chats/export?format=${format}`;
}

export const ARCHIVE_URL = '/api/export';
export const IMPORT_PATH = '/api/chats/import';

/** "512 bytes", "340 KB", "12.5 MB". */
export function sizeOf(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export interface ImportSummary {
  /** One sentence for the whole file. */
  headline: string;
  /** The chats that failed, each with a name to recognise it by and the reason. */
  failures: { name: string; error: string }[];
}

/** What an import did, in words: how many came in, were there already, or failed (and why). */
export function summarizeImport(result: ImportResult): ImportSummary {
  const parts = [`Imported ${count(result.imported, 'chat', 'chats')}`];
  if (result.skipped) parts.push(`${count(result.skipped, 'was', 'were')} already here`);
  if (result.failed) parts.push(`${result.failed} failed`);
  const total = result.imported + result.skipped + result.failed;
  const headline = total === 0 ? 'The file held no chats.' : `${parts.join(', ')}.`;
  const failures = result.results
    .filter((item) => item.status === 'failed')
    .map((item) => ({ name: nameOf(item), error: item.error?.trim() || 'It could not be read.' }));
  return { headline, failures };
}

function nameOf(item: ImportItem): string {
  const title = item.title?.trim();
  return title ? title : `Chat ${item.index + 1} in the file`;
}

/** Sends `file` as the import's body, reporting progress. */
export function uploadImport(file: Blob, onProgress: (percent: number) => void): Upload<ImportResult> {
  return uploadWithProgress<ImportResult>(
    { path: IMPORT_PATH, body: file, size: file.size, contentType: 'application/json', notWhat: 'an import report' },
    onProgress,
  );
}
