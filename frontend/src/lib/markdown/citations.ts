// Citation markers: in a reply that was given numbered passages, each `[n]` naming one of
// them becomes a small button that shows the passage. It works on the rendered HTML's text
// nodes (before the sanitizer, which still has the last word), so markdown syntax, code,
// links and math are left as they are, and an `[n]` no passage has stays plain text.

const MARKER = /\[(\d{1,4})\]/g;
/** Where a marker stays text: code, links, buttons, math. */
const SKIP = 'pre, code, kbd, samp, a, button, math, .katex, .math-block, .math-pending';

/** The marker's button: the number is its text (the sanitizer allows no data attributes). */
function citeButton(doc: Document, n: number): HTMLElement {
  const sup = doc.createElement('sup');
  const button = doc.createElement('button');
  button.type = 'button';
  button.className = 'cite';
  button.setAttribute('aria-label', `Source ${n}`);
  button.textContent = String(n);
  sup.append(button);
  return sup;
}

/** The text node's markers for known sources as buttons; false when it has none. */
function linkText(node: Text, known: ReadonlySet<number>): boolean {
  const text = node.data;
  const doc = node.ownerDocument;
  const parts: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(MARKER)) {
    const n = Number(match[1]);
    if (!known.has(n)) continue;
    if (match.index > last) parts.push(doc.createTextNode(text.slice(last, match.index)));
    parts.push(citeButton(doc, n));
    last = match.index + match[0].length;
  }
  if (!parts.length) return false;
  if (last < text.length) parts.push(doc.createTextNode(text.slice(last)));
  node.replaceWith(...parts);
  return true;
}

/** `html` with each `[n]` whose n is in `known` made a citation button (see above). */
export function linkCitations(html: string, known: ReadonlySet<number>): string {
  if (!known.size || !html.includes('[')) return html;
  // A parsed document without a window is inert: parsing runs nothing and fetches nothing.
  // (`<body>` first, so nothing at the start is taken for the document's head.)
  const body = new DOMParser().parseFromString(`<body>${html}`, 'text/html').body;
  const walker = body.ownerDocument.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement?.closest(SKIP)) texts.push(node as Text);
  }
  let changed = false;
  for (const node of texts) changed = linkText(node, known) || changed;
  return changed ? body.innerHTML : html;
}

/** The source number a click landed on (a citation button's), else null. */
export function citedNumber(target: EventTarget | null): number | null {
  if (!(target instanceof Element)) return null;
  const button = target.closest('button.cite');
  const n = Number(button?.textContent);
  return button && Number.isInteger(n) ? n : null;
}
