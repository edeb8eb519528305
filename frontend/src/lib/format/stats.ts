// A reply's token usage and timing, in words (from the `usage` the server stores with it:
// prompt_tokens, completion_tokens, first_token_ms, duration_ms).
import type { Usage } from '../api/types';

export interface StatLine {
  label: string;
  value: string;
}

function number(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function replyStats(usage: Usage | null): StatLine[] {
  if (!usage) return [];
  const prompt = number(usage.prompt_tokens);
  const completion = number(usage.completion_tokens);
  const first = number(usage.first_token_ms);
  const total = number(usage.duration_ms);
  const lines: StatLine[] = [];
  if (prompt !== null) lines.push({ label: 'Prompt tokens', value: prompt.toLocaleString() });
  if (completion !== null) lines.push({ label: 'Completion tokens', value: completion.toLocaleString() });
  if (first !== null) lines.push({ label: 'Time to first token', value: seconds(first) });
  if (total !== null) lines.push({ label: 'Total time', value: seconds(total) });
  if (completion !== null && total !== null) {
    // The writing speed: from the first token on, when known.
    const writing = first !== null && total - first > 0 ? total - first : total;
    if (writing > 0) lines.push({ label: 'Speed', value: `${((completion * 1000) / writing).toFixed(1)} tokens/s` });
  }
  return lines;
}
