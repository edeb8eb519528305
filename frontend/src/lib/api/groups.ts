// The groups I am in (`/api/groups/mine`, any member), to share things with; admins may also
// list every group (`/api/groups`).
import { api, query } from './client';
import type { Page } from './types';

export interface MyGroup {
  id: string;
  name: string;
  description: string;
}

export function listMyGroups(cursor: string | null, limit: number): Promise<Page<MyGroup>> {
  return api.get<Page<MyGroup>>(`/api/groups/mine${query({ limit, cursor })}`);
}

/** Admin only: every group of the instance. */
export function listAllGroups(cursor: string | null, limit: number): Promise<Page<MyGroup>> {
  return api.get<Page<MyGroup>>(`/api/groups${query({ limit, cursor })}`);
}
