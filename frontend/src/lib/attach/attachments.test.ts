import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FilePublic } from '../api/files';

const api = vi.hoisted(() => ({
  getFile: vi.fn(),
  uploadFile: vi.fn(),
}));
vi.mock('../api/files', () => api);

const { Attachments, MAX_KNOWLEDGE, MAX_WEB, chipLabel, chipName, sendBlocker } = await import('./attachments.svelte');

function file(id: string, fields: Partial<FilePublic> = {}): FilePublic {
  return {
    id,
    name: `${id}.pdf`,
    size: 1000,
    content_type: 'application/pdf',
    kind: 'pdf',
    status: 'ready',
    progress: 100,
    error: null,
    chunk_count: 2,
    created_at: '2026-05-01T10:00:00Z',
    updated_at: '2026-05-01T10:00:00Z',
    ...fields,
  };
}

describe('attachments', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.resetAllMocks();
  });

  it('sends ready files and knowledge bases, once each', () => {
    const next = new Attachments();
    next.addFile(file('f1'));
    next.addFile(file('f1'));
    next.addKnowledge({ id: 'k1', name: 'Handbook' });
    expect(next.fileIds).toEqual(['f1']);
    expect(next.knowledgeIds).toEqual(['k1']);
    expect(next.blocker).toBe('');
    next.removeItem('file', 'f1');
    expect(next.fileIds).toEqual([]);
  });

  it('waits for a file being read, watching it until it is ready', async () => {
    api.getFile.mockResolvedValueOnce(file('f1', { status: 'processing', progress: 60 }));
    api.getFile.mockResolvedValueOnce(file('f1'));
    const next = new Attachments({ minDelay: 10, maxDelay: 10 });
    next.addFile(file('f1', { status: 'pending', progress: 0 }));
    expect(chipLabel(next.chips[0]!)).toBe('Queued');
    expect(next.blocker).toBe('Wait for Confide to finish reading f1.pdf.');
    await vi.advanceTimersByTimeAsync(10);
    expect(chipLabel(next.chips[0]!)).toBe('Reading 60%');
    await vi.advanceTimersByTimeAsync(10);
    expect(chipLabel(next.chips[0]!)).toBe('Ready');
    expect(next.blocker).toBe('');
    await vi.advanceTimersByTimeAsync(100);
    expect(api.getFile).toHaveBeenCalledTimes(2);
  });

  it('uploads with progress, and a refused upload must be removed', async () => {
    let progress: (percent: number) => void = () => {};
    let refuse: (error: Error) => void = () => {};
    api.uploadFile.mockImplementation((_file: File, onProgress: (percent: number) => void) => {
      progress = onProgress;
      return { done: new Promise((_, reject) => (refuse = reject)), abort: vi.fn() };
    });
    const next = new Attachments();
    next.upload([new File(['x'], 'big.pdf')]);
    progress(40);
    expect(chipLabel(next.chips[0]!)).toBe('Uploading 40%');
    expect(next.blocker).toBe('Wait for big.pdf to upload.');
    refuse(new Error('The file is larger than the 64 KB limit.'));
    await vi.advanceTimersByTimeAsync(0);
    expect(next.chips[0]).toMatchObject({ state: 'failed', error: 'The file is larger than the 64 KB limit.' });
    expect(next.blocker).toBe('Remove big.pdf to send: it could not be uploaded.');
    expect(next.fileIds).toEqual([]);
    next.remove(next.chips[0]!.key);
    expect(next.blocker).toBe('');
  });

  it('says why a file that could not be read blocks sending', () => {
    const next = new Attachments();
    next.addFile(file('f2', { status: 'failed', error: 'It has no text.' }));
    expect(chipLabel(next.chips[0]!)).toBe('Failed');
    expect(next.chips[0]!.error).toBe('It has no text.');
    expect(next.blocker).toBe('Remove f2.pdf to send: it could not be read.');
  });

  it('keeps to the limits', () => {
    const next = new Attachments();
    for (let i = 0; i <= MAX_KNOWLEDGE; i++) next.addKnowledge({ id: `k${i}`, name: `Base ${i}` });
    expect(next.knowledgeIds).toHaveLength(MAX_KNOWLEDGE);
    expect(next.notice).toBe('A message can take up to 10 knowledge bases.');
  });

  it('sends web pages, once each and at most three, named by host and path', () => {
    const next = new Attachments();
    next.addWeb('https://www.example.com/guide/install/');
    next.addWeb('https://www.example.com/guide/install/');
    expect(next.announcement).toBe('Attached the web page example.com/guide/install.');
    next.addFile(file('f1'));
    const chip = next.chips[0]!;
    expect(chip).toMatchObject({ kind: 'web', id: 'https://www.example.com/guide/install/', state: 'ready' });
    expect(chipName(chip)).toBe('example.com/guide/install');
    expect(chipLabel(chip)).toBe('Read when sent');
    expect(next.blocker).toBe('');
    for (let i = 2; i <= MAX_WEB + 1; i++) next.addWeb(`https://example.com/${i}`);
    expect(next.urls).toEqual(['https://www.example.com/guide/install/', 'https://example.com/2', 'https://example.com/3']);
    expect(next.notice).toBe('A message can take up to 3 web pages.');
    expect(next.fileIds).toEqual(['f1']);
    next.removeItem('web', 'https://example.com/2');
    expect(next.notice).toBe('');
    next.addWeb('https://example.com/4');
    expect(next.urls).toHaveLength(MAX_WEB);
    expect(next.notice).toBe('');
    next.clear();
    expect(next.urls).toEqual([]);
  });

  it('names a failed file before one still being read', () => {
    const chip = (name: string, state: 'processing' | 'failed') => ({ key: 1, kind: 'file' as const, id: name, name, state, percent: 0, error: '' });
    expect(sendBlocker([])).toBe('');
    expect(sendBlocker([chip('a.pdf', 'processing'), chip('b.pdf', 'failed')])).toBe('Remove b.pdf to send: it could not be read.');
  });
});
