// How a reply's sources are named: on their chips ("1 report.pdf · page 3", "2 Install ·
// example.com") and in the dialog that shows a passage ("page 3 to page 4", "Guide › Install").
import type { Source } from '../api/types';
import { hostOf } from './web';

/** The address of the web page the passage is from; null when it is from a file. */
export function sourceUrl(source: Pick<Source, 'file_id' | 'url'>): string | null {
  return !source.file_id && source.url ? source.url : null;
}

/** Where the passage is: in its file, "page 3", "page 3 to page 4", or '' when unknown; a
 * web page's address. */
export function sourcePlace(source: Pick<Source, 'file_id' | 'location' | 'end_location' | 'url'>): string {
  const url = sourceUrl(source);
  if (url) return url;
  const start = source.location.trim();
  const end = source.end_location.trim();
  if (!start) return end;
  return end && end !== start ? `${start} to ${end}` : start;
}

/** The chip's words after its number: "report.pdf · page 3"; a web page's title and host,
 * "Install · example.com" (the host alone when it is the title). */
export function sourceLabel(source: Pick<Source, 'file_id' | 'file_name' | 'location' | 'url'>): string {
  const url = sourceUrl(source);
  if (url) {
    const host = hostOf(url);
    const title = source.file_name.trim().replace(/^www\./i, '');
    return title && ![host, host.replace(/:\d+$/, ''), url].includes(title) ? `${source.file_name.trim()} · ${host}` : host;
  }
  const where = source.location.trim();
  return where ? `${source.file_name} · ${where}` : source.file_name;
}

/** The headings the passage sits under, outermost first: "Guide › Install". */
export function headingPath(source: Pick<Source, 'headings'>): string {
  return source.headings.map((heading) => heading.trim()).filter(Boolean).join(' › ');
}

/** The reply's sources in number order, one per number. */
export function orderedSources(sources: readonly Source[] | undefined): Source[] {
  const seen = new Set<number>();
  return [...(sources ?? [])]
    .sort((a, b) => a.n - b.n)
    .filter((source) => !seen.has(source.n) && seen.add(source.n));
}
