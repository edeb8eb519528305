// Settings > Knowledge: what each permission lets me do (the server decides; these keep the
// screen from offering what it would refuse), grant editing, the file picker's filter, and
// errors of the name/description form put under their fields.
import { ApiError } from '../api/client';
import type { FilePublic } from '../api/files';
import type { Grant, GrantPermission, KnowledgeFile } from '../api/knowledge';

/** Owner and writers rename it, describe it and add files. */
export const canEdit = (permission: string): boolean => permission === 'owner' || permission === 'write';

/** Only the owner shares it and deletes it. */
export const isOwner = (permission: string): boolean => permission === 'owner';

/** The owner takes out any file; a writer only the files they added themselves. */
export function canRemoveFile(permission: string, file: Pick<KnowledgeFile, 'mine'>): boolean {
  return permission === 'owner' || (permission === 'write' && file.mine);
}

/** The badge on a base someone else owns: "Shared with you · read"; '' on my own. */
export function sharedBadge(permission: string): string {
  return permission === 'owner' ? '' : `Shared with you · ${permission}`;
}

export function fileCount(count: number): string {
  return count === 1 ? '1 file' : `${count.toLocaleString('en')} files`;
}

/** The files I may add: ready, not in the base already, and matching the search (by name). */
export function addableFiles(files: FilePublic[], present: Iterable<string>, search: string): FilePublic[] {
  const taken = new Set(present);
  const words = search.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
  return files.filter((file) => {
    if (file.status !== 'ready' || taken.has(file.id)) return false;
    const name = file.name.toLocaleLowerCase();
    return words.every((word) => name.includes(word));
  });
}

// --- grants ---------------------------------------------------------------------------------

export function grantKey(grant: Pick<Grant, 'user_id' | 'group_id' | 'email'>): string {
  if (grant.group_id) return `group:${grant.group_id}`;
  return grant.user_id ? `user:${grant.user_id}` : `email:${normalAddress(grant.email ?? '')}`;
}

const normalAddress = (address: string): string => address.trim().toLocaleLowerCase('en');

/** Shares with a group (or changes what it may do), keeping the others as they are. */
export function withGroup(grants: Grant[], groupId: string, permission: GrantPermission): Grant[] {
  return withGrant(grants, { user_id: null, group_id: groupId, email: null, permission });
}

/** Shares with the person who has this address (the server checks there is one), or changes
 * what they may do when they are in the list already, saved or not. */
export function withPerson(grants: Grant[], address: string, permission: GrantPermission): Grant[] {
  const email = normalAddress(address);
  const known = grants.find((grant) => !grant.group_id && normalAddress(grant.email ?? '') === email);
  if (known) return withPermission(grants, grantKey(known), permission);
  return withGrant(grants, { user_id: null, group_id: null, email, permission });
}

function withGrant(grants: Grant[], grant: Grant): Grant[] {
  const key = grantKey(grant);
  if (grants.some((other) => grantKey(other) === key)) return withPermission(grants, key, grant.permission);
  return [...grants, grant];
}

/** Checked before asking the server: something that looks like an address ('' when it does). */
export function addressProblem(address: string): string {
  const email = address.trim();
  if (!email) return 'Type the address of the person to share with.';
  return /^[^\s@]+@[^\s@]+$/.test(email) ? '' : `${email} is not an email address.`;
}

export function withPermission(grants: Grant[], key: string, permission: GrantPermission): Grant[] {
  return grants.map((grant) => (grantKey(grant) === key ? { ...grant, permission } : grant));
}

export function withoutGrant(grants: Grant[], key: string): Grant[] {
  return grants.filter((grant) => grantKey(grant) !== key);
}

/** Whether the edited grants differ from the saved ones (order aside). */
export function grantsChanged(saved: Grant[], edited: Grant[]): boolean {
  if (saved.length !== edited.length) return true;
  const before = new Map(saved.map((grant) => [grantKey(grant), grant.permission]));
  return edited.some((grant) => before.get(grantKey(grant)) !== grant.permission);
}

/** The groups not shared with yet, for the "add a group" choice. */
export function unsharedGroups<G extends { id: string }>(groups: G[], grants: Grant[]): G[] {
  const shared = new Set(grants.map((grant) => grant.group_id).filter(Boolean));
  return groups.filter((group) => !shared.has(group.id));
}

// --- form errors ----------------------------------------------------------------------------

export interface FormErrors {
  /** Field name (`name`, `description`) → what is wrong with it. */
  fields: Record<string, string>;
  /** What belongs to no field. */
  message: string;
}

const FIELD_WORDS: [string, string][] = [
  ['Name ', 'name'],
  ['Description ', 'description'],
];

/** The server's refusal as field errors: 422 names its fields; a 400 `detail` that starts with
 * a field's name ("Name cannot contain …") goes under that field; the rest is a message. */
export function formErrors(error: unknown): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, message: (error as Error)?.message ?? String(error) };
  if (Object.keys(error.fieldErrors).length) return { fields: { ...error.fieldErrors }, message: '' };
  if (error.status === 400) {
    const field = FIELD_WORDS.find(([word]) => error.message.startsWith(word));
    if (field) return { fields: { [field[1]]: error.message }, message: '' };
  }
  return { fields: {}, message: error.message };
}

/** Checked before asking the server: a name is needed. */
export function checkForm(name: string): Record<string, string> {
  return name.trim() ? {} : { name: 'Give the knowledge base a name.' };
}

/** A file's state in a base: "Ready · 12 passages", "Queued", "Reading", "Failed". */
export function fileStatus(file: Pick<KnowledgeFile, 'status' | 'chunk_count'>): { label: string; tone: '' | 'accent' | 'warn' } {
  switch (file.status) {
    case 'ready':
      return { label: `Ready · ${file.chunk_count === 1 ? '1 passage' : `${file.chunk_count} passages`}`, tone: 'accent' };
    case 'pending':
      return { label: 'Queued', tone: '' };
    case 'processing':
      return { label: 'Reading', tone: '' };
    default:
      return { label: 'Failed', tone: 'warn' };
  }
}
