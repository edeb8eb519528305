import { describe, expect, it } from 'vitest';
import { citedNumber, linkCitations } from './citations';
import { renderMarkdown } from './render';

function dom(html: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = html;
  return root;
}

const cites = (html: string) => [...dom(html).querySelectorAll('button.cite')].map((b) => b.textContent);

describe('citation markers', () => {
  it('turns [n] of a known source into a button, in the sanitized output', () => {
    const html = renderMarkdown('Revenue grew [1], costs fell [2].', new Set([1, 2]));
    expect(cites(html)).toEqual(['1', '2']);
    const button = dom(html).querySelector('button.cite')!;
    expect(button.getAttribute('type')).toBe('button');
    expect(button.getAttribute('aria-label')).toBe('Source 1');
    expect(button.parentElement?.tagName).toBe('SUP');
    expect(dom(html).textContent?.trim()).toBe('Revenue grew 1, costs fell 2.');
  });

  it('leaves unknown numbers and other brackets as text', () => {
    const html = renderMarkdown('See [1] and [3], [x], [1, 2] and [ 1 ].', new Set([1, 2]));
    expect(cites(html)).toEqual(['1']);
    expect(dom(html).textContent).toContain('[3], [x], [1, 2] and [ 1 ]');
  });

  it('leaves markers in code spans, code blocks, links and math alone', () => {
    const source = 'Use `a[1]` here.\n\n```python\nx = a[1]\n```\n\n[see [1]](https://example.com) $a[1]$\n\nBut [1].';
    const html = renderMarkdown(source, new Set([1]));
    expect(cites(html)).toEqual(['1']);
    const root = dom(html);
    expect(root.querySelector('p code')?.textContent).toBe('a[1]');
    expect(root.querySelector('pre code')?.textContent).toContain('x = a[1]');
    expect(root.querySelector('a')?.querySelector('button')).toBeNull();
  });

  it('does nothing without sources', () => {
    expect(cites(renderMarkdown('Plain [1].'))).toEqual([]);
    expect(linkCitations('<p>Plain [1].</p>', new Set())).toBe('<p>Plain [1].</p>');
  });

  it('keeps the sanitizer in force around the markers', () => {
    const html = renderMarkdown('<img src=x onerror="alert(1)"> [1] <b onclick="x()">b</b>', new Set([1]));
    const root = dom(html);
    expect(root.querySelector('img, [onerror], [onclick]')).toBeNull();
    expect(cites(html)).toEqual(['1']);
  });

  it('never treats escaped markup around a marker as HTML', () => {
    const html = linkCitations('<p>&lt;script&gt;alert(1)&lt;/script&gt; [2]</p>', new Set([2]));
    const root = dom(html);
    expect(root.querySelector('script')).toBeNull();
    expect(root.textContent).toBe('<script>alert(1)</script> 2');
  });

  it('tells which source a click landed on', () => {
    const root = dom(renderMarkdown('Answer [2].', new Set([2])));
    expect(citedNumber(root.querySelector('button.cite'))).toBe(2);
    expect(citedNumber(root.querySelector('p'))).toBeNull();
    expect(citedNumber(null)).toBeNull();
  });
});
