import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImportResult } from '../api/types';
import { uploadPercent } from '../api/upload';
import { allChatsExportUrl, chatExportUrl, sizeOf, summarizeImport, uploadImport } from './transfer';

describe('uploadPercent', () => {
  it.each([
    [0, 100, 0],
    [1, 1000, 0],
    [250, 1000, 25],
    [999, 1000, 99],
    [999_999, 1_000_000, 99],
    [1000, 1000, 100],
    [1200, 1000, 100],
    [10, 0, 0],
    [10, NaN, 0],
  ])('%d of %d is %d%%', (loaded, total, percent) => {
    expect(uploadPercent(loaded, total)).toBe(percent);
  });
});

describe('sizeOf', () => {
  it.each([
    [512, '512 bytes'],
    [340_000, '340 KB'],
    [12_500_000, '12.5 MB'],
  ])('%d', (bytes, text) => {
    expect(sizeOf(bytes)).toBe(text);
  });
});

describe('export links', () => {
  it('names the chat and the format', () => {
    expect(chatExportUrl('a/b', 'markdown')).toBe('/api/chats/a%2Fb/export?format=markdown');
    expect(allChatsExportUrl('json')).toBe('/api/chats/export?format=json');
  });
});

function result(partial: Partial<ImportResult>): ImportResult {
  return { imported: 0, skipped: 0, failed: 0, results: [], ...partial };
}

describe('summarizeImport', () => {
  it('counts what came in', () => {
    expect(summarizeImport(result({ imported: 1 })).headline).toBe('Imported 1 chat.');
    expect(summarizeImport(result({ imported: 3, skipped: 1 })).headline).toBe('Imported 3 chats, 1 was already here.');
    expect(summarizeImport(result({ imported: 0, skipped: 2, failed: 1 })).headline).toBe(
      'Imported 0 chats, 2 were already here, 1 failed.',
    );
  });

  it('says when the file held nothing', () => {
    expect(summarizeImport(result({})).headline).toBe('The file held no chats.');
  });

  it('lists each failure with a name and a reason', () => {
    const summary = summarizeImport(
      result({
        imported: 1,
        failed: 2,
        results: [
          { index: 0, title: 'Fine', status: 'imported', chat_id: 'c1', error: null },
          { index: 1, title: '<b>Broken</b>', status: 'failed', chat_id: null, error: 'Unknown role "tool".' },
          { index: 4, title: '  ', status: 'failed', chat_id: null, error: null },
        ],
      }),
    );
    expect(summary.failures).toEqual([
      { name: '<b>Broken</b>', error: 'Unknown role "tool".' },
      { name: 'Chat 5 in the file', error: 'It could not be read.' },
    ]);
  });
});

/** A stand-in XMLHttpRequest: records what was sent and answers when told. */
class FakeXhr {
  static last: FakeXhr;
  headers: Record<string, string> = {};
  method = '';
  url = '';
  body: unknown;
  status = 0;
  responseText = '';
  responseType = '';
  upload: { onprogress?: (event: Partial<ProgressEvent>) => void; onload?: () => void } = {};
  onload?: () => void;
  onerror?: () => void;
  onabort?: () => void;
  constructor() {
    FakeXhr.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  answer(status: number, body: string) {
    this.status = status;
    this.responseText = body;
    this.onload?.();
  }
}

describe('uploadImport', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('posts the file with the CSRF header and reports progress', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    const seen: number[] = [];
    const file = new Blob(['[]'], { type: 'application/json' });
    const upload = uploadImport(file, (percent) => seen.push(percent));
    const xhr = FakeXhr.last;
    expect([xhr.method, xhr.url, xhr.body]).toEqual(['POST', '/api/chats/import', file]);
    expect(xhr.headers).toMatchObject({ 'X-Confide-CSRF': '1', 'Content-Type': 'application/json' });
    xhr.upload.onprogress?.({ loaded: 50, total: 200, lengthComputable: true });
    xhr.upload.onprogress?.({ loaded: 200, total: 200, lengthComputable: true });
    xhr.answer(200, JSON.stringify({ imported: 1, skipped: 0, failed: 0, results: [] }));
    await expect(upload.done).resolves.toMatchObject({ imported: 1 });
    expect(seen).toEqual([25, 100]);
  });

  it('turns a refusal into the server’s words', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    const upload = uploadImport(new Blob(['x']), () => {});
    FakeXhr.last.answer(413, JSON.stringify({ detail: 'The file is larger than 50 MB.' }));
    await expect(upload.done).rejects.toThrow('The file is larger than 50 MB.');
  });

  it('can be cancelled', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    const upload = uploadImport(new Blob(['x']), () => {});
    upload.abort();
    await expect(upload.done).rejects.toMatchObject({ name: 'AbortError' });
  });
});
