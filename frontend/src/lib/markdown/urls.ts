// Which URLs rendered messages may point at. Model output is untrusted: only absolute http(s)
// and mailto links survive; images are never fetched unless they are inline raster data.

const LINK_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
const INLINE_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[a-z0-9+/=\s]+$/i;

/** The URL, normalized, when a link may point there; null otherwise. */
export function safeLinkUrl(href: string): string | null {
  let url: URL;
  try {
    url = new URL(href.trim());
  } catch {
    return null;
  }
  return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
}

/** True for a base64 raster image carried in the message itself (no request is made). */
export function isInlineImage(src: string): boolean {
  return INLINE_IMAGE.test(src.trim());
}

/** The host an external image would be fetched from, for the placeholder; null if none. */
export function imageHost(src: string): string | null {
  try {
    const url = new URL(src.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : null;
  } catch {
    return null;
  }
}
