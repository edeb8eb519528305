import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { Submission } from './submission.svelte';

describe('Submission', () => {
  it('is busy while the action runs and clean after it succeeds', async () => {
    const form = new Submission();
    form.error = 'old';
    form.fields = { email: 'old' };
    let busyInside = false;
    const ok = await form.run(async () => {
      busyInside = form.busy;
    });
    expect(ok).toBe(true);
    expect(busyInside).toBe(true);
    expect(form.busy).toBe(false);
    expect(form.error).toBe('');
    expect(form.fields).toEqual({});
  });

  it("keeps the API's message and its field errors when the action fails", async () => {
    const form = new Submission();
    const ok = await form.run(async () => {
      throw new ApiError(422, 'Invalid request.', { password: 'Too short.' });
    });
    expect(ok).toBe(false);
    expect(form.busy).toBe(false);
    expect(form.error).toBe('Invalid request.');
    expect(form.fields).toEqual({ password: 'Too short.' });
  });

  it('shows any other failure as a message without field errors', async () => {
    const form = new Submission();
    expect(await form.run(() => Promise.reject(new Error('offline')))).toBe(false);
    expect(form.error).toBe('offline');
    expect(form.fields).toEqual({});
  });
});
