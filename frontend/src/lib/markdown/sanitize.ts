// The last line of defence: whatever the renderer produced goes through DOMPurify with a
// narrow policy before it reaches the page.
import DOMPurify, { type Config } from 'dompurify';
import { safeLinkUrl } from './urls';

const FORBID_TAGS = [
  'style', 'script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form',
  'input', 'textarea', 'select', 'option', 'img', 'picture', 'source', 'video', 'audio',
  'track', 'svg', 'link', 'meta', 'base', 'template', 'dialog', 'portal',
];
const FORBID_ATTR = [
  'style', 'id', 'name', 'src', 'srcset', 'action', 'formaction', 'form', 'background',
  'ping', 'poster', 'xlink:href', 'autofocus', 'tabindex', 'contenteditable', 'popover',
];

const CONFIG: Config = {
  USE_PROFILES: { html: true, mathMl: true },
  FORBID_TAGS,
  FORBID_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: true,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  SANITIZE_NAMED_PROPS: true,
};

let hooked = false;

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (!(node instanceof Element)) return;
    const href = node.getAttribute('href');
    if (href === null) return;
    const safe = node.tagName.toLowerCase() === 'a' ? safeLinkUrl(href) : null;
    if (safe === null) {
      node.removeAttribute('href');
      node.removeAttribute('target');
      return;
    }
    node.setAttribute('href', safe);
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  });
}

/** HTML safe to put in the page with {@html}. */
export function sanitize(html: string): string {
  installHooks();
  return DOMPurify.sanitize(html, { ...CONFIG, RETURN_TRUSTED_TYPE: false }) as string;
}
