// My files (`/api/files`): uploaded as multipart, then read and indexed by the server in the
// background; the app watches `status` and `progress` until each is ready or failed.
import { uploadPercent } from '../data/transfer';
import { api, errorFrom, query } from './client';
import type { Page } from './types';

export type FileStatus = 'pending' | 'processing' | 'ready' | 'failed';

export interface FilePublic {
  id: string;
  name: string;
  size: number;
  content_type: string;
  /** What the server read it as (`pdf`, `markdown`, …), once it has looked; null before. */
  kind: string | null;
  status: FileStatus;
  /** 0–100 while processing. */
  progress: number;
  /** Why it failed, as a sentence for the user. */
  error: string | null;
  /** Passages indexed, once ready. */
  chunk_count: number;
  created_at: string;
  updated_at: string;
}

export const FILES_PATH = '/api/files';

const filePath = (id: string) => `${FILES_PATH}/${encodeURIComponent(id)}`;

export function listFiles(cursor: string | null, limit: number, signal?: AbortSignal): Promise<Page<FilePublic>> {
  return api.get<Page<FilePublic>>(`${FILES_PATH}${query({ limit, cursor })}`, signal);
}

export function getFile(id: string, signal?: AbortSignal): Promise<FilePublic> {
  return api.get<FilePublic>(filePath(id), signal);
}

export function deleteFile(id: string): Promise<void> {
  return api.del(filePath(id));
}

export function reindexFile(id: string): Promise<FilePublic> {
  return api.post<FilePublic>(`${filePath(id)}/reindex`);
}

/** Same origin, so a plain `<a download>` carries the session cookie. */
export function downloadUrl(id: string): string {
  return `${filePath(id)}/content`;
}

export interface FileUpload {
  done: Promise<FilePublic>;
  abort: () => void;
}

/** Sends one file as the `file` field of a multipart body. XMLHttpRequest, not fetch: only it
 * reports how much of a request has been sent, for the progress bar. */
export function uploadFile(file: File, onProgress: (percent: number) => void): FileUpload {
  const xhr = new XMLHttpRequest();
  const done = new Promise<FilePublic>((resolve, reject) => {
    xhr.open('POST', FILES_PATH);
    xhr.setRequestHeader('X-Confide-CSRF', '1');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => onProgress(uploadPercent(event.loaded, event.lengthComputable ? event.total : file.size));
    xhr.upload.onload = () => onProgress(100);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as FilePublic);
        } catch {
          reject(new Error('The server answered something that is not a file.'));
        }
        return;
      }
      void errorFrom(new Response(xhr.responseText, { status: xhr.status })).then(reject);
    };
    xhr.onerror = () => reject(new Error('Cannot reach the server. Check your connection and try again.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    const body = new FormData();
    body.append('file', file, file.name);
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}
