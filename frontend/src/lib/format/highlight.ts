// A search snippet cut into plain and highlighted runs, to render as text (never as HTML).
// The server's offsets count code points (Python's str), not UTF-16 units as JS strings do.

export interface Run {
  text: string;
  hit: boolean;
}

/** `snippet` in runs, the [start, end) code point ranges in `highlights` marked as hits.
 * Ranges may come unsorted, overlap or run past the end: they are clamped and merged. */
export function highlightRuns(snippet: string, highlights: readonly (readonly [number, number])[]): Run[] {
  const points = Array.from(snippet);
  const ranges = highlights
    .map(([start, end]) => [Math.max(0, Math.trunc(start)), Math.min(points.length, Math.trunc(end))] as const)
    .filter(([start, end]) => Number.isFinite(start) && Number.isFinite(end) && end > start)
    .sort((a, b) => a[0] - b[0]);
  const runs: Run[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    if (from > at) runs.push({ text: points.slice(at, from).join(''), hit: false });
    const last = runs.at(-1);
    const text = points.slice(from, end).join('');
    if (last?.hit && from === at) last.text += text;
    else runs.push({ text, hit: true });
    at = end;
  }
  if (at < points.length) runs.push({ text: points.slice(at).join(''), hit: false });
  return runs;
}
