import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { FilePublic } from '../api/files';
import type { Grant } from '../api/knowledge';
import {
  addableFiles,
  addressProblem,
  canEdit,
  canRemoveFile,
  checkForm,
  fileCount,
  fileStatus,
  formErrors,
  grantKey,
  grantsChanged,
  isOwner,
  sharedBadge,
  unsharedGroups,
  withGroup,
  withPermission,
  withPerson,
  withoutGrant,
} from './rules';

const file = (id: string, name: string, status: FilePublic['status'] = 'ready'): FilePublic => ({
  id,
  name,
  size: 10,
  content_type: 'text/plain',
  kind: 'text',
  status,
  progress: 0,
  error: null,
  chunk_count: 1,
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
});

const group = (id: string, permission: Grant['permission'] = 'read'): Grant => ({ user_id: null, group_id: id, email: null, permission });
const user = (id: string, permission: Grant['permission'] = 'read', email: string | null = null): Grant => ({
  user_id: id,
  group_id: null,
  email,
  permission,
});
const person = (email: string, permission: Grant['permission'] = 'read'): Grant => ({ user_id: null, group_id: null, email, permission });

describe('permissions', () => {
  it('lets the owner and writers edit, only the owner share and delete', () => {
    expect([canEdit('owner'), canEdit('write'), canEdit('read')]).toEqual([true, true, false]);
    expect([isOwner('owner'), isOwner('write'), isOwner('read')]).toEqual([true, false, false]);
  });

  it.each([
    ['owner', true, true],
    ['owner', false, true],
    ['write', true, true],
    ['write', false, false],
    ['read', true, false],
    ['read', false, false],
  ])('%s removing a file mine=%s: %s', (permission, mine, allowed) => {
    expect(canRemoveFile(permission, { mine })).toBe(allowed);
  });

  it('badges bases shared with me, not my own', () => {
    expect(sharedBadge('owner')).toBe('');
    expect(sharedBadge('read')).toBe('Shared with you · read');
    expect(sharedBadge('write')).toBe('Shared with you · write');
  });

  it('counts files', () => {
    expect([fileCount(0), fileCount(1), fileCount(1200)]).toEqual(['0 files', '1 file', '1,200 files']);
  });
});

describe('addableFiles', () => {
  const files = [file('a', 'Field notes.md'), file('b', 'recipes.csv'), file('c', 'draft.md', 'processing'), file('d', 'old notes.txt')];

  it('offers ready files not in the base yet', () => {
    expect(addableFiles(files, ['b'], '').map((f) => f.id)).toEqual(['a', 'd']);
  });

  it('finds them by every word of the search, ignoring case', () => {
    expect(addableFiles(files, [], 'NOTES').map((f) => f.id)).toEqual(['a', 'd']);
    expect(addableFiles(files, [], ' notes  field ').map((f) => f.id)).toEqual(['a']);
    expect(addableFiles(files, [], 'draft')).toEqual([]);
  });
});

describe('grant editing', () => {
  it('adds a group once, and changes its permission when added again', () => {
    const once = withGroup([user('u1')], 'g1', 'read');
    expect(once).toEqual([user('u1'), group('g1', 'read')]);
    expect(withGroup(once, 'g1', 'write')).toEqual([user('u1'), group('g1', 'write')]);
  });

  it('changes and removes one grant by its key, leaving the rest', () => {
    const grants = [group('g1'), user('g1'), group('g2', 'write')];
    expect(grantKey(grants[0]!)).toBe('group:g1');
    expect(grantKey(grants[1]!)).toBe('user:g1');
    expect(withPermission(grants, 'user:g1', 'write')).toEqual([group('g1'), user('g1', 'write'), group('g2', 'write')]);
    expect(withoutGrant(grants, 'group:g1')).toEqual([user('g1'), group('g2', 'write')]);
  });

  it('notices changes but not a different order', () => {
    const saved = [group('g1'), group('g2', 'write')];
    expect(grantsChanged(saved, [group('g2', 'write'), group('g1')])).toBe(false);
    expect(grantsChanged(saved, [group('g1', 'write'), group('g2', 'write')])).toBe(true);
    expect(grantsChanged(saved, [group('g1')])).toBe(true);
    expect(grantsChanged([], [])).toBe(false);
  });

  it('adds a person by address once, whether saved already or not', () => {
    const saved = [user('u1', 'read', 'ann@example.com')];
    const added = withPerson(saved, ' Bob@Example.com ', 'read');
    expect(added).toEqual([...saved, person('bob@example.com')]);
    expect(grantKey(added[1]!)).toBe('email:bob@example.com');
    expect(withPerson(added, 'BOB@example.com', 'write')).toEqual([...saved, person('bob@example.com', 'write')]);
    expect(withPerson(added, 'ann@EXAMPLE.com', 'write')).toEqual([user('u1', 'write', 'ann@example.com'), person('bob@example.com')]);
  });

  it('checks that an address looks like one before asking the server', () => {
    expect(addressProblem('ann@example.com')).toBe('');
    expect(addressProblem('   ')).toBe('Type the address of the person to share with.');
    expect(addressProblem('ann example.com')).toBe('ann example.com is not an email address.');
    expect(addressProblem('ann@')).toBe('ann@ is not an email address.');
  });

  it('offers only the groups not shared with yet', () => {
    const groups = [{ id: 'g1' }, { id: 'g2' }, { id: 'g3' }];
    expect(unsharedGroups(groups, [group('g2'), user('g3')])).toEqual([{ id: 'g1' }, { id: 'g3' }]);
  });
});

describe('formErrors', () => {
  it('takes the fields a 422 names', () => {
    const error = new ApiError(422, 'Please check the form.', { description: 'String should have at most 2000 characters.' });
    expect(formErrors(error)).toEqual({ fields: { description: 'String should have at most 2000 characters.' }, message: '' });
  });

  it('puts a 400 about a field under that field', () => {
    expect(formErrors(new ApiError(400, 'Name cannot contain control or text-direction characters.'))).toEqual({
      fields: { name: 'Name cannot contain control or text-direction characters.' },
      message: '',
    });
    expect(formErrors(new ApiError(400, 'Description can be at most 2,000 characters.')).fields).toHaveProperty('description');
  });

  it('keeps anything else as a message', () => {
    expect(formErrors(new ApiError(403, 'You can only read this knowledge base.'))).toEqual({
      fields: {},
      message: 'You can only read this knowledge base.',
    });
    expect(formErrors(new Error('offline'))).toEqual({ fields: {}, message: 'offline' });
  });

  it('asks for a name before the server does', () => {
    expect(checkForm('  ')).toEqual({ name: 'Give the knowledge base a name.' });
    expect(checkForm('Notes')).toEqual({});
  });
});

describe('fileStatus', () => {
  it.each([
    [{ status: 'ready', chunk_count: 1 }, { label: 'Ready · 1 passage', tone: 'accent' }],
    [{ status: 'ready', chunk_count: 7 }, { label: 'Ready · 7 passages', tone: 'accent' }],
    [{ status: 'pending', chunk_count: 0 }, { label: 'Queued', tone: '' }],
    [{ status: 'processing', chunk_count: 0 }, { label: 'Reading', tone: '' }],
    [{ status: 'failed', chunk_count: 0 }, { label: 'Failed', tone: 'warn' }],
  ])('%o', (file, expected) => {
    expect(fileStatus(file)).toEqual(expected);
  });
});
