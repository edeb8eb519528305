// Knowledge bases (`/api/knowledge`): named collections of files, mine or shared with me,
// which a message can search. Names and descriptions are plain text: render them as text.
import { api, query } from './client';
import type { Page } from './types';

export interface KnowledgeSummary {
  id: string;
  name: string;
  description: string;
  /** What I may do with it: `owner`, `write` or `read`. */
  permission: string;
  file_count: number;
  created_at: string;
  updated_at: string;
}

export const KNOWLEDGE_PATH = '/api/knowledge';

export function listKnowledge(cursor: string | null, limit: number, signal?: AbortSignal): Promise<Page<KnowledgeSummary>> {
  return api.get<Page<KnowledgeSummary>>(`${KNOWLEDGE_PATH}${query({ limit, cursor })}`, signal);
}

export type KnowledgePermission = 'owner' | 'write' | 'read';
export type GrantPermission = 'read' | 'write';

/** A file in a knowledge base; `mine`: I uploaded it (a writer may remove only those). */
export interface KnowledgeFile {
  id: string;
  name: string;
  status: string;
  chunk_count: number;
  mine: boolean;
  added_at: string;
}

/** Who else may use a knowledge base: a user or a group, to read or also to write. */
/** Who else may use a base: a person (`user_id`, with their `email`) or a group. A person
 * not saved yet has only an `email`: the server looks the account up. */
export interface Grant {
  user_id: string | null;
  group_id: string | null;
  email: string | null;
  permission: GrantPermission;
}

export interface KnowledgeDetail extends KnowledgeSummary {
  files: KnowledgeFile[];
  /** Shown to the owner only; null for everyone else. */
  grants: Grant[] | null;
}

const knowledgePath = (id: string) => `${KNOWLEDGE_PATH}/${encodeURIComponent(id)}`;

export function createKnowledge(name: string, description: string): Promise<KnowledgeDetail> {
  return api.post<KnowledgeDetail>(KNOWLEDGE_PATH, { name, description });
}

export function getKnowledge(id: string, signal?: AbortSignal): Promise<KnowledgeDetail> {
  return api.get<KnowledgeDetail>(knowledgePath(id), signal);
}

export function updateKnowledge(id: string, changes: { name?: string; description?: string }): Promise<KnowledgeDetail> {
  return api.patch<KnowledgeDetail>(knowledgePath(id), changes);
}

/** Owner only; the files stay in Settings > Files. */
export function deleteKnowledge(id: string): Promise<void> {
  return api.del(knowledgePath(id));
}

export function addKnowledgeFile(id: string, fileId: string): Promise<KnowledgeFile> {
  return api.post<KnowledgeFile>(`${knowledgePath(id)}/files`, { file_id: fileId });
}

export function removeKnowledgeFile(id: string, fileId: string): Promise<void> {
  return api.del(`${knowledgePath(id)}/files/${encodeURIComponent(fileId)}`);
}

/** Owner only: replaces every grant ([] shares with nobody). */
export async function setKnowledgeGrants(id: string, grants: Grant[]): Promise<Grant[]> {
  const body = grants.map(({ user_id, group_id, email, permission }) => {
    if (group_id) return { group_id, permission };
    return user_id ? { user_id, permission } : { email, permission };
  });
  const answer = await api.put<{ grants: Grant[] }>(`${knowledgePath(id)}/grants`, { grants: body });
  return answer.grants;
}
