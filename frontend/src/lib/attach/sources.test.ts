import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { Source } from '../api/types';
import SourceDialog from '../components/attach/SourceDialog.svelte';
import { headingPath, orderedSources, sourceLabel, sourcePlace, sourceUrl } from './sources';

const source = (over: Partial<Source> = {}): Source => ({
  n: 1,
  file_id: 'f1',
  file_name: 'report.pdf',
  ordinal: 2,
  location: 'page 3',
  end_location: 'page 3',
  headings: ['Results', 'Revenue'],
  text: 'Revenue grew by twelve percent.',
  ...over,
});

describe('naming sources', () => {
  it('labels a chip with the file and where the passage starts', () => {
    expect(sourceLabel(source())).toBe('report.pdf · page 3');
    expect(sourceLabel(source({ location: '' }))).toBe('report.pdf');
  });

  it('gives the place as a range when the passage spans more', () => {
    expect(sourcePlace(source())).toBe('page 3');
    expect(sourcePlace(source({ end_location: 'page 4' }))).toBe('page 3 to page 4');
    expect(sourcePlace(source({ location: '', end_location: '' }))).toBe('');
  });

  it('joins the headings outermost first', () => {
    expect(headingPath(source())).toBe('Results › Revenue');
    expect(headingPath(source({ headings: [' ', 'Intro'] }))).toBe('Intro');
  });

  it('orders by number and keeps one per number', () => {
    const list = [source({ n: 2 }), source({ n: 1 }), source({ n: 2, text: 'again' })];
    expect(orderedSources(list).map((item) => item.n)).toEqual([1, 2]);
    expect(orderedSources(undefined)).toEqual([]);
  });
});

describe('naming web sources', () => {
  const page = (over: Partial<Source> = {}) =>
    source({ file_id: null, url: 'https://www.example.com/guide/install', file_name: 'Installing', location: '', end_location: '', ...over });

  it('labels a chip with the page title and its host', () => {
    expect(sourceLabel(page())).toBe('Installing · example.com');
    expect(sourceLabel(page({ file_name: 'www.example.com' }))).toBe('example.com');
    expect(sourceLabel(page({ file_name: 'example.com' }))).toBe('example.com');
    expect(sourceLabel(page({ file_name: ' ' }))).toBe('example.com');
    const local = page({ url: 'http://127.0.0.1:8080/a', file_name: '127.0.0.1' }); // the server's fallback: the host
    expect(sourceLabel(local)).toBe('127.0.0.1:8080');
    expect(sourceLabel({ ...local, file_name: 'Notes' })).toBe('Notes · 127.0.0.1:8080');
  });

  it('gives the address as the place', () => {
    expect(sourceUrl(page())).toBe('https://www.example.com/guide/install');
    expect(sourcePlace(page())).toBe('https://www.example.com/guide/install');
    expect(sourceUrl(source())).toBeNull();
    expect(sourceUrl(source({ url: 'https://example.com' }))).toBeNull(); // a file's passage
  });
});

function mountDialog(shown: Source) {
  // jsdom has no modal dialogs: opening one sets its attribute.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.open = false;
  };
  const target = document.createElement('div');
  document.body.append(target);
  const app = mount(SourceDialog, { target, props: { open: true, source: shown } });
  flushSync();
  return {
    target,
    done: () => {
      void unmount(app);
      target.remove();
    },
  };
}

describe('the source dialog', () => {
  it('shows HTML in a passage as text, never as markup', () => {
    const hostile = '<img src=x onerror="alert(1)"><b>bold</b> & <script>alert(2)</script>';
    const { target, done } = mountDialog(source({ text: hostile, file_name: '<i>x</i>.pdf' }));
    const passage = target.querySelector('blockquote.passage')!;
    expect(passage.textContent).toBe(hostile);
    expect(target.querySelector('img, script, b, i')).toBeNull();
    expect(target.querySelector('h2')?.textContent).toBe('Source 1: <i>x</i>.pdf');
    expect(target.textContent).toContain('Results › Revenue');
    const link = target.querySelector<HTMLAnchorElement>('a[download]')!;
    expect(link.getAttribute('href')).toBe('/api/files/f1/content');
    expect(link.textContent).toContain('Download file');
    done();
  });

  it('opens a web page in a new tab, without a referrer, instead of a download', () => {
    const url = 'https://example.com/guide';
    const { target, done } = mountDialog(source({ file_id: null, url, file_name: 'Guide', location: '', end_location: '' }));
    expect(target.querySelector('h2')?.textContent).toBe('Source 1: Guide');
    expect(target.querySelector('dd')?.textContent).toBe(url);
    expect(target.querySelector('a[download]')).toBeNull();
    const link = target.querySelector<HTMLAnchorElement>('a.button')!;
    expect(link.textContent).toContain('Open page');
    expect(link.getAttribute('href')).toBe(url);
    expect(link.target).toBe('_blank');
    expect(link.rel).toBe('noopener noreferrer nofollow');
    expect(link.getAttribute('referrerpolicy')).toBe('no-referrer');
    done();
  });

  it('never makes a link of a javascript: address', () => {
    const url = 'javascript:alert(document.cookie)';
    const { target, done } = mountDialog(source({ file_id: null, url, file_name: 'Evil', location: '', end_location: '' }));
    expect(target.querySelector('a')).toBeNull();
    expect(target.querySelector('[href]')).toBeNull();
    expect(target.textContent).toContain(url); // shown as text
    done();
  });
});
