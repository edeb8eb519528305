// Taking chats out (export downloads) and bringing them in (an import file uploaded with
// progress). Downloads are plain same-origin links: the browser streams them to disk.
import { errorFrom } from '../api/client';
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

/** Whole percent of an upload, 0–100; 100 only once every byte is sent. */
export function uploadPercent(loaded: number, total: number): number {
  if (!(total > 0) || !(loaded > 0)) return 0;
  if (loaded >= total) return 100;
  return Math.min(99, Math.floor((loaded / total) * 100));
}

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

export interface Upload {
  done: Promise<ImportResult>;
  abort: () => void;
}

/** Sends `file` as the import's body. XMLHttpRequest, not fetch: only it reports how much of
 * a request has been sent, which a 50 MB file needs for a progress bar. */
export function uploadImport(file: Blob, onProgress: (percent: number) => void): Upload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<ImportResult>((resolve, reject) => {
    xhr.open('POST', IMPORT_PATH);
    xhr.setRequestHeader('X-Confide-CSRF', '1');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => onProgress(uploadPercent(event.loaded, event.lengthComputable ? event.total : file.size));
    xhr.upload.onload = () => onProgress(100);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as ImportResult);
        } catch {
          reject(new Error('The server answered something that is not an import report.'));
        }
        return;
      }
      void errorFrom(new Response(xhr.responseText, { status: xhr.status })).then(reject);
    };
    xhr.onerror = () => reject(new Error('Cannot reach the server. Check your connection and try again.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
