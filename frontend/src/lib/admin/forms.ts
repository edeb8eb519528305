// The admin forms' text fields turned into API request bodies (and back). Pure functions,
// so the rules (write-only key, partial updates, number parsing) are tested on their own.
import { ApiError } from '../api/client';
import type {
  Connection,
  ConnectionKind,
  Preset,
  PresetParams,
  Visibility,
} from '../api/types';

export interface ConnectionForm {
  kind: ConnectionKind;
  name: string;
  base_url: string;
  /** A new key; empty keeps the one stored (or none). Never filled from the server. */
  api_key: string;
  clear_api_key: boolean;
  model_prefix: string;
  allowlist: string;
  connect_timeout: string;
  read_timeout: string;
  enabled: boolean;
}

export function connectionForm(connection?: Connection): ConnectionForm {
  return {
    kind: connection?.kind ?? 'openai',
    name: connection?.name ?? '',
    base_url: connection?.base_url ?? '',
    api_key: '',
    clear_api_key: false,
    model_prefix: connection?.model_prefix ?? '',
    allowlist: connection?.model_allowlist.join('\n') ?? '',
    connect_timeout: String(connection?.connect_timeout ?? 5),
    read_timeout: String(connection?.read_timeout ?? 120),
    enabled: connection?.enabled ?? true,
  };
}

/** One model id a line (commas work too). */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);
}

function number(text: string): number | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : Number.NaN;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** The POST body for a new connection, or the PATCH body (changed fields only) for one. */
export function connectionBody(form: ConnectionForm, original?: Connection): Record<string, unknown> {
  const full: Record<string, unknown> = {
    kind: form.kind,
    name: form.name.trim(),
    base_url: form.base_url.trim(),
    model_prefix: form.model_prefix.trim() || null,
    model_allowlist: splitList(form.allowlist),
    connect_timeout: number(form.connect_timeout) ?? 5,
    read_timeout: number(form.read_timeout) ?? 120,
    enabled: form.enabled,
  };
  const key = form.api_key.trim();
  if (!original) {
    if (full.model_prefix === null) delete full.model_prefix;
    return key ? { ...full, api_key: key } : full;
  }
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(full)) {
    const before = original[field as keyof Connection];
    const same = Array.isArray(value)
      ? sameList(value as string[], before as string[])
      : value === before;
    if (!same) body[field] = value;
  }
  if (key) body.api_key = key;
  else if (form.clear_api_key && original.has_api_key) body.api_key = null;
  return body;
}

export interface PresetForm {
  name: string;
  base_model: string;
  system_prompt: string;
  description: string;
  visibility: Visibility;
  group_ids: string[];
  knowledge_ids: string[];
  temperature: string;
  top_p: string;
  max_tokens: string;
  seed: string;
  stop: string;
}

export function presetForm(preset?: Preset): PresetForm {
  const params = preset?.params ?? {};
  const text = (value: number | null | undefined) => (value === null || value === undefined ? '' : String(value));
  return {
    name: preset?.name ?? '',
    base_model: preset?.base_model ?? '',
    system_prompt: preset?.system_prompt ?? '',
    description: preset?.description ?? '',
    visibility: (preset?.visibility as Visibility | undefined) ?? 'private',
    group_ids: preset?.group_ids ?? [],
    knowledge_ids: preset?.knowledge_ids ?? [],
    temperature: text(params.temperature),
    top_p: text(params.top_p),
    max_tokens: text(params.max_tokens),
    seed: text(params.seed),
    stop: (params.stop ?? []).join('\n'),
  };
}

/** The parameters set in the form; numbers that do not parse are reported by field name. */
export function presetParams(form: PresetForm): { params: PresetParams; errors: Record<string, string> } {
  const params: PresetParams = {};
  const errors: Record<string, string> = {};
  const fields = ['temperature', 'top_p', 'max_tokens', 'seed'] as const;
  for (const field of fields) {
    const value = number(form[field]);
    if (value === undefined) continue;
    const whole = field === 'max_tokens' || field === 'seed';
    if (Number.isNaN(value) || (whole && !Number.isInteger(value))) {
      errors[field] = whole ? 'Enter a whole number.' : 'Enter a number.';
    } else {
      params[field] = value;
    }
  }
  const stop = splitList(form.stop);
  if (stop.length) params.stop = stop;
  return { params, errors };
}

/** The POST body for a new preset, or the PATCH body for an existing one (all fields: the
 * form always shows them all, and `params` replaces the whole set anyway). */
export function presetBody(form: PresetForm, params: PresetParams): Record<string, unknown> {
  return {
    name: form.name.trim(),
    base_model: form.base_model,
    system_prompt: form.system_prompt.trim() ? form.system_prompt : null,
    description: form.description.trim(),
    visibility: form.visibility,
    group_ids: form.visibility === 'groups' ? form.group_ids : [],
    knowledge_ids: form.knowledge_ids,
    params,
  };
}

/** The server's refusal of a preset: a 422 names its fields; "Knowledge base not found." (a
 * base deleted, or no longer shared with me) goes under the knowledge field; the rest is a
 * message for the whole form. */
export function presetErrors(error: unknown): { fields: Record<string, string>; message: string } {
  const message = (error as Error | undefined)?.message ?? String(error);
  if (!(error instanceof ApiError)) return { fields: {}, message };
  if (error.status === 404 && message.startsWith('Knowledge base')) return { fields: { knowledge_ids: message }, message: '' };
  return { fields: { ...error.fieldErrors }, message };
}
