// The sidebar's history as one flat list of rows of fixed heights (group headings and chats),
// so that only the rows in view need to be in the page: a list of 10,000 chats stays smooth.
import type { ChatSummary } from '../api/types';
import type { ChatGroup } from './grouping';

/** Heights in CSS pixels; ChatHistory's styles use the same numbers. */
export const HEADER_HEIGHT = 34;
export const ROW_HEIGHT = 36;

export type HistoryRow =
  | { kind: 'header'; key: string; label: string }
  | { kind: 'chat'; key: string; chat: ChatSummary; group: string };

export function flattenGroups(groups: readonly ChatGroup[]): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const group of groups) {
    rows.push({ kind: 'header', key: `group:${group.label}`, label: group.label });
    for (const chat of group.chats) rows.push({ kind: 'chat', key: chat.id, chat, group: group.label });
  }
  return rows;
}

export interface RowWindow {
  start: number;
  end: number; // exclusive
  before: number; // pixels above the first row shown
  after: number; // pixels below the last row shown
}

export class RowLayout {
  /** offsets[i]: where row i starts; offsets[rows.length]: the total height. */
  readonly offsets: Float64Array;

  constructor(readonly rows: readonly HistoryRow[]) {
    this.offsets = new Float64Array(rows.length + 1);
    for (let i = 0; i < rows.length; i++) {
      const height = rows[i]!.kind === 'header' ? HEADER_HEIGHT : ROW_HEIGHT;
      this.offsets[i + 1] = this.offsets[i]! + height;
    }
  }

  get total(): number {
    return this.offsets[this.rows.length]!;
  }

  /** The row at height `y` (clamped to the list). */
  indexAt(y: number): number {
    let low = 0;
    let high = Math.max(this.rows.length - 1, 0);
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.offsets[middle]! <= y) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The rows to put in the page for a viewport at `top` of height `height`, with
   * `overscan` more rows on each side. */
  window(top: number, height: number, overscan: number): RowWindow {
    const count = this.rows.length;
    if (count === 0) return { start: 0, end: 0, before: 0, after: 0 };
    const start = Math.max(0, this.indexAt(top) - overscan);
    const end = Math.min(count, this.indexAt(top + height) + 1 + overscan);
    return { start, end, before: this.offsets[start]!, after: this.total - this.offsets[end]! };
  }
}

/** The next chat row from `index` going `step` rows (skipping headings), or -1. */
export function nextChatRow(rows: readonly HistoryRow[], index: number, step: number): number {
  for (let i = index + step; i >= 0 && i < rows.length; i += step) {
    if (rows[i]!.kind === 'chat') return i;
  }
  return -1;
}

export interface ShownSection {
  label: string;
  /** The heading's row index, when the heading itself is among the rows shown. */
  heading: number | null;
  chats: { chat: ChatSummary; index: number }[];
}

/** Rows `start`..`end` as the groups they belong to (a group cut off at the top of the
 * window has no heading in it, but still its name). */
export function sectionsOf(rows: readonly HistoryRow[], start: number, end: number): ShownSection[] {
  const sections: ShownSection[] = [];
  for (let index = start; index < end; index++) {
    const row = rows[index]!;
    const label = row.kind === 'header' ? row.label : row.group;
    let section = sections.at(-1);
    if (!section || section.label !== label) {
      section = { label, heading: null, chats: [] };
      sections.push(section);
    }
    if (row.kind === 'header') section.heading = index;
    else section.chats.push({ chat: row.chat, index });
  }
  return sections;
}
