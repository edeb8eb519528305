// Server-Sent Events over fetch (not EventSource: we need the CSRF header, to choose
// Last-Event-ID ourselves, and to stop cleanly). The parser is incremental and pure.

export interface SseEvent {
  id: number | null;
  event: string;
  data: string;
}

/** Feeds text chunks in, gets complete events out. Handles \n, \r\n and \r line endings,
 * comments (keep-alives), multi-line data and events split across chunks. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventName = '';
  private id: number | null = null;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id' && /^\d+$/.test(value)) this.id = Number(value);
    return null;
  }

  private dispatch(): SseEvent | null {
    if (!this.data.length) {
      this.eventName = '';
      return null;
    }
    const event = { id: this.id, event: this.eventName || 'message', data: this.data.join('\n') };
    this.data = [];
    this.eventName = '';
    this.id = null;
    return event;
  }
}
