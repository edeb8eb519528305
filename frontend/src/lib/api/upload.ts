// Uploads with a progress bar. XMLHttpRequest, not fetch: only it reports how much of a
// request has been sent, which a large file needs.
import { errorFrom } from './client';

export interface Upload<T> {
  done: Promise<T>;
  abort: () => void;
}

export interface UploadRequest {
  path: string;
  body: XMLHttpRequestBodyInit;
  size: number; // bytes, when the browser cannot say
  contentType?: string; // unset for FormData: the browser adds the multipart boundary
  notWhat: string; // "a file", "an import report": what an unreadable answer is not
}

/** Whole percent of an upload, 0–100; 100 only once every byte is sent. */
export function uploadPercent(loaded: number, total: number): number {
  if (!(total > 0) || !(loaded > 0)) return 0;
  if (loaded >= total) return 100;
  return Math.min(99, Math.floor((loaded / total) * 100));
}

/** POSTs `request.body`, reporting progress; `done` is the JSON answer, or the server's
 * error (its `detail`) as an Error. */
export function uploadWithProgress<T>(request: UploadRequest, onProgress: (percent: number) => void): Upload<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open('POST', request.path);
    xhr.setRequestHeader('X-Confide-CSRF', '1');
    if (request.contentType) xhr.setRequestHeader('Content-Type', request.contentType);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) =>
      onProgress(uploadPercent(event.loaded, event.lengthComputable ? event.total : request.size));
    xhr.upload.onload = () => onProgress(100);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(new Error(`The server answered something that is not ${request.notWhat}.`));
        }
        return;
      }
      void errorFrom(new Response(xhr.responseText, { status: xhr.status })).then(reject);
    };
    xhr.onerror = () => reject(new Error('Cannot reach the server. Check your connection and try again.'));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    xhr.send(request.body);
  });
  return { done, abort: () => xhr.abort() };
}
