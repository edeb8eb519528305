import { describe, expect, it } from 'vitest';
import { filterChoices, hashQueryAt, matchRank, pickerKey, removeHashQuery, typedWebWord, webChoice, type Choice } from './picker';

const file = (id: string, name: string): Choice => ({ kind: 'file', id, name, detail: '' });
const base = (id: string, name: string): Choice => ({ kind: 'knowledge', id, name, detail: '' });

describe('hashQueryAt', () => {
  it('finds a # at the start of the text or of a word', () => {
    expect(hashQueryAt('#rep', 4)).toEqual({ start: 0, end: 4, query: 'rep' });
    expect(hashQueryAt('see #rep now', 8)).toEqual({ start: 4, end: 8, query: 'rep' });
    expect(hashQueryAt('line\n#q', 7)).toEqual({ start: 5, end: 7, query: 'q' });
  });

  it('opens on the # alone, with an empty query', () => {
    expect(hashQueryAt('ask #', 5)).toEqual({ start: 4, end: 5, query: '' });
  });

  it('ignores a # inside a word, before the caret word, or behind a space', () => {
    expect(hashQueryAt('issue#12', 8)).toBeNull();
    expect(hashQueryAt('C# code', 2)).toBeNull();
    expect(hashQueryAt('#rep and more', 13)).toBeNull();
    expect(hashQueryAt('#rep ', 5)).toBeNull();
    expect(hashQueryAt('#rep', 0)).toBeNull();
  });

  it('takes the query up to the caret and the word to its end', () => {
    expect(hashQueryAt('#report x', 3)).toEqual({ start: 0, end: 7, query: 're' });
  });
});

describe('removeHashQuery', () => {
  it('removes the #word and a doubled space', () => {
    const text = 'compare #rep with last year';
    expect(removeHashQuery(text, hashQueryAt(text, 12)!)).toEqual({ text: 'compare with last year', caret: 8 });
  });

  it('leaves the rest alone at the start and the end', () => {
    expect(removeHashQuery('#rep', { start: 0, end: 4, query: 'rep' })).toEqual({ text: '', caret: 0 });
    expect(removeHashQuery('#rep what', { start: 0, end: 4, query: 'rep' })).toEqual({ text: 'what', caret: 0 });
    expect(removeHashQuery('why #rep', { start: 4, end: 8, query: 'rep' })).toEqual({ text: 'why ', caret: 4 });
  });
});

describe('a web address after #', () => {
  const page = (url: string): Choice => ({ kind: 'web', id: url, name: url, detail: 'Web page' });

  it('offers the page the whole #word names, wherever the caret is in it', () => {
    const text = 'read #https://example.com/guide please';
    expect(webChoice(text, hashQueryAt(text, 12)!)).toEqual(page('https://example.com/guide'));
    expect(webChoice('#www.example.com', hashQueryAt('#www.example.com', 16)!)).toEqual(page('https://www.example.com'));
  });

  it('offers nothing until the address has more than its scheme', () => {
    for (const text of ['#http', '#https://', '#http:/x', '#report', '#javascript:alert(1)', '#ftp://x.org']) {
      expect(webChoice(text, hashQueryAt(text, text.length)!), text).toBeNull();
    }
    expect(webChoice('#https://a', hashQueryAt('#https://a', 10)!)).toEqual(page('https://a'));
  });

  it('picks the page when a space is typed right after the address', () => {
    const text = 'see #https://example.com/a ';
    const found = typedWebWord(text, 27);
    expect(found).toEqual({ at: { start: 4, end: 26, query: 'https://example.com/a' }, choice: page('https://example.com/a') });
    expect(removeHashQuery(text, found!.at)).toEqual({ text: 'see ', caret: 4 });
    const before = 'see #https://x.org  then';
    expect(removeHashQuery(before, typedWebWord(before, 19)!.at)).toEqual({ text: 'see  then', caret: 4 });
    expect(typedWebWord('#https://example.com ', 21)?.choice.id).toBe('https://example.com');
  });

  it('leaves a space after anything else alone', () => {
    expect(typedWebWord('#report ', 8)).toBeNull();
    expect(typedWebWord('#https:// ', 10)).toBeNull();
    expect(typedWebWord('https://example.com ', 20)).toBeNull();
    expect(typedWebWord('#https://example.com', 20)).toBeNull();
    expect(typedWebWord('#https://exa mple.com', 13)).toBeNull(); // a space typed inside the word
  });
});

describe('filterChoices', () => {
  const choices = [
    file('f1', 'Quarterly report.pdf'),
    file('f2', 'report-2024.docx'),
    base('k1', 'Company reports'),
    file('f3', 'notes.md'),
  ];

  it('lists everything (up to the limit) for an empty query', () => {
    expect(filterChoices(choices, '').map((c) => c.id)).toEqual(['f1', 'f2', 'k1', 'f3']);
    expect(filterChoices(choices, '', 2).map((c) => c.id)).toEqual(['f1', 'f2']);
  });

  it('ranks names starting with the query first, then word starts, then the rest', () => {
    expect(filterChoices(choices, 'rep').map((c) => c.id)).toEqual(['f2', 'f1', 'k1']);
    expect(filterChoices(choices, 'port').map((c) => c.id)).toEqual(['f1', 'f2', 'k1']);
  });

  it('needs every word, in any case, and finds knowledge bases too', () => {
    expect(filterChoices(choices, 'COMPANY rep').map((c) => c.id)).toEqual(['k1']);
    expect(filterChoices(choices, 'report_2024').map((c) => c.id)).toEqual(['f2']);
    expect(filterChoices(choices, 'missing')).toEqual([]);
  });

  it('ranks by words', () => {
    expect(matchRank('Quarterly report.pdf', 'quarterly')).toBe(0);
    expect(matchRank('Quarterly report.pdf', 'report')).toBe(1);
    expect(matchRank('Quarterly report.pdf', 'port')).toBe(2);
    expect(matchRank('Quarterly report.pdf', 'memo')).toBe(-1);
  });
});

describe('pickerKey', () => {
  it('moves with the arrows, clamped at both ends', () => {
    expect(pickerKey('ArrowDown', 0, 3)).toEqual({ type: 'move', active: 1 });
    expect(pickerKey('ArrowDown', 2, 3)).toEqual({ type: 'move', active: 2 });
    expect(pickerKey('ArrowUp', 0, 3)).toEqual({ type: 'move', active: 0 });
    expect(pickerKey('ArrowUp', -1, 3)).toEqual({ type: 'move', active: 2 });
    expect(pickerKey('ArrowDown', 0, 0)).toEqual({ type: 'move', active: -1 });
  });

  it('chooses the highlighted one (or the first) with Enter', () => {
    expect(pickerKey('Enter', 1, 3)).toEqual({ type: 'choose', index: 1 });
    expect(pickerKey('Enter', -1, 3)).toEqual({ type: 'choose', index: 0 });
    expect(pickerKey('Enter', 0, 0)).toEqual({ type: 'none' });
  });

  it('closes with Esc and leaves other keys, and IME composition, to the text box', () => {
    expect(pickerKey('Escape', 0, 3)).toEqual({ type: 'close' });
    expect(pickerKey('a', 0, 3)).toEqual({ type: 'none' });
    expect(pickerKey('PageDown', 0, 3)).toEqual({ type: 'none' });
    expect(pickerKey('Enter', 0, 3, true)).toEqual({ type: 'none' });
  });
});
