// The `#` picker in the message box: typing `#` at the start of a word lists my ready files
// and my knowledge bases whose names match what follows it; the arrow keys move through the
// list, Enter picks, Esc closes, and the picked item's `#words` leave the text. A `#` before
// a web address offers to read that page instead (a space typed after it picks it too).
import { isNavKey, moveActive } from '../stores/listNav';
import { webAddress } from './web';

export type ChoiceKind = 'file' | 'knowledge' | 'web';

/** Something the message can be sent with. */
export interface Choice {
  kind: ChoiceKind;
  id: string;
  name: string;
  /** A few words about it ("PDF · 2 MB", "12 files"). */
  detail: string;
}

/** The `#word` around the caret: where its `#` is, where the word ends, and what follows
 * the `#` up to the caret. */
export interface HashQuery {
  start: number;
  end: number;
  query: string;
}

const SPACE = /\s/;

/** The `#query` the caret is in, or null: the `#` must begin a word (text start or after
 * white space), and the caret must be after it, in the same word. */
export function hashQueryAt(text: string, caret: number): HashQuery | null {
  if (caret < 1 || caret > text.length) return null;
  let start = caret;
  while (start > 0 && !SPACE.test(text[start - 1]!)) start--;
  if (text[start] !== '#' || start >= caret) return null;
  let end = caret;
  while (end < text.length && !SPACE.test(text[end]!)) end++;
  return { start, end, query: text.slice(start + 1, caret) };
}

/** The web page the whole `#word` names, as a choice; null when it is no address. */
export function webChoice(text: string, at: HashQuery): Choice | null {
  const url = webAddress(text.slice(at.start + 1, at.end));
  return url ? { kind: 'web', id: url, name: url, detail: 'Web page' } : null;
}

/** The `#address` word a space was just typed after (the caret being after the space, and
 * not inside a word), and its page; null when the word before the space is no `#address`. */
export function typedWebWord(text: string, caret: number): { at: HashQuery; choice: Choice } | null {
  if (caret < 2 || text[caret - 1] !== ' ' || (caret < text.length && !SPACE.test(text[caret]!))) return null;
  const at = hashQueryAt(text, caret - 1);
  const choice = at && at.end === caret - 1 ? webChoice(text, at) : null;
  return at && choice ? { at: { ...at, end: caret - 1 }, choice } : null;
}

/** The text without the `#query` (and the space that would be left doubled), and where the
 * caret goes. */
export function removeHashQuery(text: string, at: HashQuery): { text: string; caret: number } {
  const before = text.slice(0, at.start);
  let after = text.slice(at.end);
  if ((before === '' || SPACE.test(before.at(-1)!)) && after.startsWith(' ')) after = after.slice(1);
  return { text: before + after, caret: before.length };
}

const words = (text: string) => text.toLowerCase().split(/[\s_\-.]+/).filter(Boolean);

/** How well `name` matches the words of `query`: 0 (the name starts with it), 1 (a word of
 * the name does), 2 (it is somewhere inside); -1 when some word is not in the name. */
export function matchRank(name: string, query: string): number {
  const wanted = words(query);
  const lower = name.toLowerCase();
  if (!wanted.every((word) => lower.includes(word))) return -1;
  const first = wanted[0];
  if (first === undefined || lower.startsWith(first)) return 0;
  return words(name).some((word) => word.startsWith(first)) ? 1 : 2;
}

/** The choices matching `query`, best first (ties keep their order), at most `limit`. */
export function filterChoices(choices: readonly Choice[], query: string, limit = 8): Choice[] {
  return choices
    .map((choice, index) => ({ choice, index, rank: matchRank(choice.name, query) }))
    .filter((item) => item.rank >= 0)
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .slice(0, limit)
    .map((item) => item.choice);
}

export type PickerAction =
  | { type: 'move'; active: number }
  | { type: 'choose'; index: number }
  | { type: 'close' }
  | { type: 'none' };

/** What a key does while the picker is open over `count` choices, `active` being highlighted.
 * 'none': the key is the text box's (typing goes on). */
export function pickerKey(key: string, active: number, count: number, composing = false): PickerAction {
  if (composing) return { type: 'none' };
  if (key === 'Escape') return { type: 'close' };
  if (key === 'ArrowDown' || key === 'ArrowUp') return { type: 'move', active: moveActive(active, count, key) };
  if (isNavKey(key)) return { type: 'none' };
  if (key === 'Enter' && count > 0) return { type: 'choose', index: active >= 0 && active < count ? active : 0 };
  return { type: 'none' };
}
