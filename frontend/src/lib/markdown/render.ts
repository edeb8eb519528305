// Markdown → HTML for messages. Model output and user text are untrusted: raw HTML in the
// markdown is shown as text, links are checked, external images become a placeholder (never
// fetched), and the result is sanitized after rendering.
import { Marked, type Tokens } from 'marked';
import { linkCitations } from './citations';
import { escapeHtml } from './escape';
import { highlight } from './highlight';
import { hasMath, loadMath, mathExtensions, mathReady } from './math';
import { sanitize } from './sanitize';
import { imageHost, isInlineImage, safeLinkUrl } from './urls';

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  extensions: mathExtensions,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code) {
      const { html, label } = highlight(text, lang);
      const name = label ? `<span class="code-lang">${escapeHtml(label)}</span>` : '<span></span>';
      return (
        `<div class="code-block"><div class="code-head">${name}` +
        '<button type="button" class="code-copy" aria-label="Copy code">Copy</button></div>' +
        `<pre><code class="hljs">${html}</code></pre></div>`
      );
    },
    link({ href, title, tokens }: Tokens.Link) {
      const text = this.parser.parseInline(tokens);
      const safe = safeLinkUrl(href);
      if (safe === null) return text;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return (
        `<a href="${escapeHtml(safe)}"${titleAttr} target="_blank" ` +
        `rel="noopener noreferrer nofollow">${text}</a>`
      );
    },
    image({ href, text }: Tokens.Image) {
      return imagePlaceholder(href, text);
    },
  },
});

/** An image is only shown if it is carried in the message; otherwise the host is named and
 * the person may open it in a new tab (no referrer). Nothing is fetched by rendering. */
function imagePlaceholder(src: string, alt: string): string {
  const label = alt ? escapeHtml(alt) : 'Image';
  if (isInlineImage(src)) {
    return `<span class="image-placeholder"><span class="image-alt">${label}</span> ` +
      '<span class="image-note">(embedded image not shown)</span></span>';
  }
  const host = imageHost(src);
  const safe = safeLinkUrl(src);
  if (!host || !safe) return `<span class="image-placeholder">${label}</span>`;
  return (
    `<span class="image-placeholder"><span class="image-alt">${label}</span>` +
    `<span class="image-host">from ${escapeHtml(host)}</span>` +
    `<a class="image-open" href="${escapeHtml(safe)}" target="_blank" ` +
    'rel="noopener noreferrer nofollow">Open image</a></span>'
  );
}

/** Sanitized HTML for a message's markdown; `[n]` for each n in `citations` becomes a
 * button showing that source (see citations.ts). */
export function renderMarkdown(source: string, citations: ReadonlySet<number> = new Set()): string {
  const html = marked.parse(source, { async: false });
  return sanitize(linkCitations(html, citations));
}

/** Whether rendering `source` would look better once KaTeX is loaded; starts loading it. */
export function needsMath(source: string): Promise<unknown> | null {
  if (mathReady() || !hasMath(source)) return null;
  return loadMath();
}
