import { describe, expect, it } from 'vitest';
import { ago, dayStart, deviceOf, shortDateTime } from './dates';

describe('ago', () => {
  const now = Date.parse('2026-05-10T12:00:00Z');
  it.each([
    [null, 'never'],
    ['2026-05-10T11:59:30Z', 'just now'],
    ['2026-05-10T11:55:00Z', '5 min ago'],
    ['2026-05-10T09:00:00Z', '3 h ago'],
    ['2026-05-09T10:00:00Z', 'yesterday'],
    ['2026-05-07T12:00:00Z', '3 days ago'],
  ])('%s → %s', (iso, words) => {
    expect(ago(iso, now)).toBe(words);
  });

  it('falls back to the date after a week', () => {
    expect(ago('2026-01-02T00:00:00Z', now)).toMatch(/2026/);
  });
});

describe('deviceOf', () => {
  it.each([
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      'Chrome on Linux',
    ],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5; rv:127.0) Gecko/20100101 Firefox/127.0', 'Firefox on macOS'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36 Edg/126.0', 'Edge on Windows'],
    ['python-httpx/0.28.1', 'Python'],
    [null, 'Unknown device'],
  ])('%s', (agent, words) => {
    expect(deviceOf(agent)).toBe(words);
  });
});

describe('dayStart', () => {
  it('gives local midnight as an ISO instant, and the next one for an end date', () => {
    const start = dayStart('2026-03-04')!;
    const end = dayStart('2026-03-04', true)!;
    expect(new Date(start).getDate()).toBe(4);
    expect(new Date(start).getHours()).toBe(0);
    expect(Date.parse(end) - Date.parse(start)).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(start.endsWith('Z')).toBe(true);
  });

  it('ignores anything that is not a date', () => {
    expect(dayStart('')).toBeUndefined();
    expect(dayStart('yesterday')).toBeUndefined();
  });
});

describe('shortDateTime', () => {
  it('gives a day and a minute, and leaves what is no date alone', () => {
    expect(shortDateTime('2024-06-01T09:05:30Z')).not.toMatch(/30/);
    expect(shortDateTime('2024-06-01T09:05:30Z')).toMatch(/2024/);
    expect(shortDateTime('soon')).toBe('soon');
  });
});
