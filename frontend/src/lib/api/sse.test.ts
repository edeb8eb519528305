import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('parses the events the server sends', () => {
    const parser = new SseParser();
    const events = parser.push(
      'id: 3\nevent: delta\ndata: {"text":"Hel"}\n\nevent: done\ndata: {"status":"complete"}\n\n',
    );
    expect(events).toEqual([
      { id: 3, event: 'delta', data: '{"text":"Hel"}' },
      { id: null, event: 'done', data: '{"status":"complete"}' },
    ]);
  });

  it('keeps an event split across chunks, even inside a CRLF', () => {
    const parser = new SseParser();
    expect(parser.push('id: 7\r\nevent: del')).toEqual([]);
    expect(parser.push('ta\r\ndata: {"text":"x"}\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ id: 7, event: 'delta', data: '{"text":"x"}' }]);
  });

  it('ignores keep-alive comments and joins multi-line data', () => {
    const parser = new SseParser();
    expect(parser.push(': keepalive\n\n')).toEqual([]);
    expect(parser.push('data: a\ndata: b\n\n')).toEqual([{ id: null, event: 'message', data: 'a\nb' }]);
  });

  it('ignores ids that are not numbers', () => {
    const parser = new SseParser();
    expect(parser.push('id: abc\ndata: x\n\n')[0]?.id).toBeNull();
  });
});
