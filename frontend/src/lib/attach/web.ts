// Web pages a message is sent with: spotting an address typed after `#`, checking one typed
// in the "Add a web page" box, naming it briefly ("example.com/guide/install"), and making a
// link of one only when it is a web address (never `javascript:` or the like).

/** The server takes pages up to this long an address. */
export const MAX_URL_CHARS = 2000;
const SHORT = 48;
const WEB = /^https?:\/\/\S/i;

/** `text` as a web address: `http://…` or `https://…` with something after it, or `www.…`
 * (read as https); null when it is not one. */
export function webAddress(text: string): string | null {
  const candidate = /^www\.\S/i.test(text) ? `https://${text}` : text;
  if (!WEB.test(candidate) || candidate.length > MAX_URL_CHARS || /\s/.test(candidate)) return null;
  try {
    return new URL(candidate).protocol.startsWith('http') ? candidate : null;
  } catch {
    return null;
  }
}

/** An address typed in a form: the address, or why it will not do. */
export function checkWebAddress(typed: string): { url: string } | { error: string } {
  const text = typed.trim();
  if (!text) return { error: 'Enter the address of a web page.' };
  if (text.length > MAX_URL_CHARS) return { error: `That address is too long (at most ${MAX_URL_CHARS} characters).` };
  const url = webAddress(text);
  return url ? { url } : { error: 'Enter an address that starts with http:// or https://.' };
}

/** A link target for `url`, only when it is an http(s) address; null otherwise. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url || !/^https?:\/\//i.test(url)) return null;
  try {
    return /^https?:$/.test(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}

/** The page's host without `www.`, with its port if not the usual ("example.com",
 * "127.0.0.1:8080"); the address itself when it has none. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host.replace(/^www\./, '') || url;
  } catch {
    return url;
  }
}

/** The host and path, cut short: "example.com/guide/install", "example.com/a-very-long…". */
export function shortUrl(url: string, max = SHORT): string {
  let text = url;
  try {
    text = hostOf(url) + readable(new URL(url).pathname).replace(/\/+$/, '');
  } catch {
    // not an address after all: shown as it is, cut short
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A path's %-escapes as the characters they stand for, when they are well formed. */
function readable(path: string): string {
  try {
    return decodeURI(path);
  } catch {
    return path;
  }
}
