// My files (`/api/files`): uploaded as multipart, then read and indexed by the server in the
// background; the app watches `status` and `progress` until each is ready or failed.
import { api, query } from './client';
import { type Upload, uploadWithProgress } from './upload';
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

export type FileUpload = Upload<FilePublic>;

/** Sends one file as the `file` field of a multipart body, reporting progress. */
export function uploadFile(file: File, onProgress: (percent: number) => void): FileUpload {
  const body = new FormData();
  body.append('file', file, file.name);
  return uploadWithProgress<FilePublic>({ path: FILES_PATH, body, size: file.size, notWhat: 'a file' }, onProgress);
}
