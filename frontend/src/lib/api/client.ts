// The one way the app talks to the server: same-origin fetch, the CSRF header on every
// request, the session riding only on the HttpOnly cookie, and errors turned into sentences.

export interface FieldError {
  loc: string[];
  msg: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly fieldErrors: Record<string, string>;
  /** The API's machine-readable cause, where a client acts on it (`two_factor_required`). */
  readonly reason: string;

  constructor(status: number, message: string, fieldErrors: Record<string, string> = {}, reason = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fieldErrors = fieldErrors;
    this.reason = reason;
  }
}

const FALLBACK: Record<number, string> = {
  401: 'Please sign in again.',
  403: 'You are not allowed to do that.',
  404: 'That could not be found.',
  413: 'That is too large.',
  429: 'Too many attempts. Wait a moment and try again.',
};

/** Field name → message, from FastAPI-style `errors: [{loc: ["body", "email"], msg}]`. */
export function fieldErrorsOf(errors: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(errors)) return out;
  for (const item of errors as FieldError[]) {
    if (!item || !Array.isArray(item.loc) || typeof item.msg !== 'string') continue;
    const where = item.loc.filter((part) => !['body', 'query', 'path'].includes(part));
    const field = where[0] ?? '';
    if (field && !(field in out)) out[field] = sentence(item.msg);
  }
  return out;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The readable error for a failed response (its JSON `detail`, or a fallback). */
export async function errorFrom(response: Response): Promise<ApiError> {
  let detail: unknown;
  let errors: unknown;
  let reason: unknown;
  try {
    const body = (await response.json()) as { detail?: unknown; errors?: unknown; reason?: unknown; error?: { message?: unknown } };
    // `/v1` answers in OpenAI's shape: `{"error": {"message": …}}`.
    detail = body.detail ?? body.error?.message;
    errors = body.errors;
    reason = body.reason;
  } catch {
    // Not JSON (a proxy's error page, a dropped connection): fall back below.
  }
  const fields = fieldErrorsOf(errors);
  let message = typeof detail === 'string' && detail ? detail : FALLBACK[response.status];
  if (response.status === 422 && Object.keys(fields).length) message = 'Please check the form.';
  message ??= `The server answered ${response.status}.`;
  return new ApiError(response.status, message, fields, typeof reason === 'string' ? reason : '');
}

let onUnauthorized: (() => void) | null = null;

/** Called when a request answers 401: the session ended (expired, revoked, signed out
 * elsewhere). Requests about signing in are left to their callers. */
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

/** A raw same-origin request with the CSRF header; throws ApiError unless it succeeded. */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  if (!path.startsWith('/')) throw new Error('API paths are same-origin and start with /.');
  const headers: Record<string, string> = { 'X-Confide-CSRF': '1', ...options.headers };
  let body: string | Blob | undefined;
  if (options.body instanceof Blob) {
    // A file as it is (a profile picture): the server reads its type from its bytes.
    headers['Content-Type'] = options.body.type || 'application/octet-stream';
    body = options.body;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/api/auth/')) onUnauthorized?.();
    throw await errorFrom(response);
  }
  return response;
}

/** JSON in, JSON out; `undefined` for 204 No Content. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>(path, { signal }),
  post: <T>(path: string, body: unknown = {}) => request<T>(path, { method: 'POST', body }),
  patch: <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body }),
  del: (path: string) => request<void>(path, { method: 'DELETE' }),
};

/** `?a=1&b=x` from the defined values only. */
export function query(params: Record<string, string | number | boolean | null | undefined>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
