import { describe, expect, it } from 'vitest';
import { checkWebAddress, hostOf, safeHref, shortUrl, webAddress } from './web';

describe('webAddress', () => {
  it('takes http and https addresses with something after the scheme', () => {
    expect(webAddress('https://example.com/guide')).toBe('https://example.com/guide');
    expect(webAddress('http://127.0.0.1:8080/a?b=c#d')).toBe('http://127.0.0.1:8080/a?b=c#d');
    expect(webAddress('HTTPS://Example.com')).toBe('HTTPS://Example.com');
  });

  it('reads www. as https', () => {
    expect(webAddress('www.example.com/news')).toBe('https://www.example.com/news');
    expect(webAddress('www.')).toBeNull();
  });

  it('refuses what is not yet, or never, a web address', () => {
    for (const text of ['', 'https://', 'http:/', 'https:', 'report', 'example.com', 'ftp://example.com', 'javascript:alert(1)', 'https:// x', 'mailto:a@b.c', 'data:text/html,hi']) {
      expect(webAddress(text), text).toBeNull();
    }
    expect(webAddress(`https://example.com/${'a'.repeat(2000)}`)).toBeNull();
  });
});

describe('checkWebAddress', () => {
  it('gives the address, trimmed, or why it will not do', () => {
    expect(checkWebAddress('  https://example.com/a ')).toEqual({ url: 'https://example.com/a' });
    expect(checkWebAddress('www.example.com')).toEqual({ url: 'https://www.example.com' });
    expect(checkWebAddress(' ')).toEqual({ error: 'Enter the address of a web page.' });
    expect(checkWebAddress('javascript:alert(1)')).toEqual({ error: 'Enter an address that starts with http:// or https://.' });
    expect(checkWebAddress('ftp://example.com/file')).toEqual({ error: 'Enter an address that starts with http:// or https://.' });
    expect(checkWebAddress(`https://x.com/${'a'.repeat(2000)}`)).toEqual({ error: 'That address is too long (at most 2000 characters).' });
  });
});

describe('safeHref', () => {
  it('links http and https addresses only', () => {
    expect(safeHref('https://example.com/a')).toBe('https://example.com/a');
    expect(safeHref('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000/');
  });

  it('never makes a link of javascript:, data: or anything else', () => {
    for (const url of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', '//evil.example/', '/api/files', 'https:', '', null, undefined]) {
      expect(safeHref(url), String(url)).toBeNull();
    }
  });
});

describe('naming a page', () => {
  it('shows the host without www. and the path, cut short', () => {
    expect(hostOf('https://www.example.com/a')).toBe('example.com');
    expect(shortUrl('https://www.example.com/')).toBe('example.com');
    expect(shortUrl('https://example.com/guide/install/?x=1#top')).toBe('example.com/guide/install');
    expect(shortUrl('http://127.0.0.1:8080/article')).toBe('127.0.0.1:8080/article');
    expect(shortUrl('https://example.com:443/a')).toBe('example.com/a');
    expect(shortUrl('https://example.com/caf%C3%A9')).toBe('example.com/café');
    const long = shortUrl(`https://example.com/${'word-'.repeat(20)}`);
    expect(long).toHaveLength(48);
    expect(long.endsWith('…')).toBe(true);
    expect(shortUrl('not an address')).toBe('not an address');
  });
});
