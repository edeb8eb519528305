import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, errorFrom, fieldErrorsOf, query, whenUnauthorized } from './client';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('requests', () => {
  it('sends the CSRF header, same-origin credentials and JSON', async () => {
    const fetch = vi.fn().mockResolvedValue(json(201, { id: 'c1' }));
    vi.stubGlobal('fetch', fetch);
    const created = await api.post<{ id: string }>('/api/chats', { title: 'Hi' });
    expect(created).toEqual({ id: 'c1' });
    const [path, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(path).toBe('/api/chats');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(init.headers).toMatchObject({
      'X-Confide-CSRF': '1',
      'Content-Type': 'application/json',
    });
    expect(init.body).toBe('{"title":"Hi"}');
  });

  it('sends a file as it is, with its own type', async () => {
    const fetch = vi.fn().mockResolvedValue(json(200, { id: 'u1' }));
    vi.stubGlobal('fetch', fetch);
    const picture = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });
    await api.put('/api/auth/me/avatar', picture);
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(init.method).toBe('PUT');
    expect(init.body).toBe(picture);
    expect(init.headers).toMatchObject({ 'X-Confide-CSRF': '1', 'Content-Type': 'image/png' });
  });

  it('refuses to talk to another origin', async () => {
    vi.stubGlobal('fetch', vi.fn());
    await expect(api.get('https://evil.example/api')).rejects.toThrow(/same-origin/);
  });

  it('turns {detail} into the error message', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(json(409, { detail: 'Already taken.' })));
    const error = await api.get('/api/x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe('Already taken.');
  });

  it('says when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    await expect(api.get('/api/x')).rejects.toMatchObject({ status: 0 });
  });

  it('reports a lost session, except for the sign-in requests themselves', async () => {
    const lost = vi.fn();
    whenUnauthorized(lost);
    vi.stubGlobal('fetch', vi.fn().mockImplementation(async () => json(401, { detail: 'Sign in first.' })));
    await api.post('/api/auth/login', {}).catch(() => undefined);
    expect(lost).not.toHaveBeenCalled();
    await api.get('/api/chats').catch(() => undefined);
    expect(lost).toHaveBeenCalledOnce();
  });
});

describe('errors', () => {
  it('maps validation errors to fields', async () => {
    const error = await errorFrom(
      json(422, {
        detail: 'Invalid request. email: not an email',
        errors: [
          { loc: ['body', 'email'], msg: 'value is not a valid email address' },
          { loc: ['body', 'password'], msg: 'String should have at least 1 character' },
        ],
      }),
    );
    expect(error.message).toBe('Please check the form.');
    expect(error.fieldErrors).toEqual({
      email: 'Value is not a valid email address.',
      password: 'String should have at least 1 character.',
    });
  });

  it('falls back to a sentence when the body is not JSON', async () => {
    const error = await errorFrom(new Response('<html>bad gateway</html>', { status: 502 }));
    expect(error.message).toBe('The server answered 502.');
    expect((await errorFrom(new Response('', { status: 429 }))).message).toMatch(/Too many/);
  });

  it('keeps the machine-readable reason, when there is one', async () => {
    const asked = await errorFrom(json(401, { detail: 'Enter the code.', reason: 'two_factor_required' }));
    expect(asked.reason).toBe('two_factor_required');
    expect(asked.message).toBe('Enter the code.');
    expect((await errorFrom(json(401, { detail: 'Wrong code.' }))).reason).toBe('');
    expect((await errorFrom(json(401, { detail: 'x', reason: 7 }))).reason).toBe('');
  });

  it('ignores malformed error lists', () => {
    expect(fieldErrorsOf([{ loc: 'body', msg: 1 }, null, 'x'])).toEqual({});
    expect(fieldErrorsOf(undefined)).toEqual({});
  });
});

describe('query', () => {
  it('keeps only the defined values', () => {
    expect(query({ limit: 50, cursor: null, archived: true, q: undefined })).toBe(
      '?limit=50&archived=true',
    );
    expect(query({ cursor: null })).toBe('');
  });
});
