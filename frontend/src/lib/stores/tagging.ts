// A chat's tags as the API treats them: names compare without regard to case or accents
// (“Café” and “cafe” are one tag), the first spelling wins, at most 20 per chat.
import type { Tag } from '../api/types';

export const MAX_TAGS_PER_CHAT = 20;
export const MAX_TAG_LENGTH = 50;

/** The form two names are compared in. */
export function tagKey(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase().trim();
}

/** A name as typed, with its runs of spaces made one. */
export function tidyTag(name: string): string {
  return name.split(/\s+/).filter(Boolean).join(' ');
}

/** Why `name` cannot be added to `tags`, or '' when it can. */
export function tagProblem(tags: readonly string[], name: string): string {
  const tidy = tidyTag(name);
  if (!tidy) return 'Type a tag first.';
  if (tidy.length > MAX_TAG_LENGTH) return `A tag is at most ${MAX_TAG_LENGTH} characters.`;
  if (tags.some((tag) => tagKey(tag) === tagKey(tidy))) return `This chat is already tagged “${tidy}”.`;
  if (tags.length >= MAX_TAGS_PER_CHAT) return `A chat can have at most ${MAX_TAGS_PER_CHAT} tags.`;
  return '';
}

/** `tags` with `name` added (spelled as an existing tag of mine, when there is one). */
export function withTag(tags: readonly string[], name: string, known: readonly Tag[] = []): string[] {
  const tidy = tidyTag(name);
  const existing = known.find((tag) => tagKey(tag.name) === tagKey(tidy));
  return [...tags, existing?.name ?? tidy];
}

export function withoutTag(tags: readonly string[], name: string): string[] {
  return tags.filter((tag) => tagKey(tag) !== tagKey(name));
}

/** My tags the chat does not have yet that start with (then contain) what is typed. */
export function suggestTags(known: readonly Tag[], current: readonly string[], typed: string, limit = 8): string[] {
  const have = new Set(current.map(tagKey));
  const text = tagKey(typed);
  const free = known.filter((tag) => !have.has(tagKey(tag.name)));
  const starts = free.filter((tag) => tagKey(tag.name).startsWith(text));
  const contains = text ? free.filter((tag) => !tagKey(tag.name).startsWith(text) && tagKey(tag.name).includes(text)) : [];
  return [...starts, ...contains].slice(0, limit).map((tag) => tag.name);
}

/** What a history row has room for: the first `max` of a chat's tags as chips, and how many
 * more there are (shown as "+N"). */
export function chipsOf(tags: readonly string[], max = 2): { shown: string[]; more: number } {
  return { shown: tags.slice(0, max), more: Math.max(tags.length - max, 0) };
}

/** The question asked before a tag is deleted everywhere. */
export function deleteTagQuestion(tag: Tag): string {
  const carried =
    tag.chats === 0 ? 'No chat carries it' : tag.chats === 1 ? 'It is on 1 chat' : `It is on ${tag.chats} chats`;
  return `${carried}. Deleting the tag takes it off ${tag.chats === 1 ? 'that chat' : 'every chat'}; the chats themselves stay.`;
}
