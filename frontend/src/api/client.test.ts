import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiRequest, describeError, errorFromResponse, functionUrl, onUnauthorized, parseRetryAfter, setToken } from './client';

describe('parseRetryAfter', () => {
  it('reads seconds', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter('1.2')).toBe(2);
  });
  it('reads an HTTP date', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:01:00 GMT', now)).toBe(60);
  });
  it('ignores nonsense', () => {
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('errorFromResponse', () => {
  it('uses the error envelope', () => {
    const err = errorFromResponse(409, JSON.stringify({ error: { code: 'username_taken', message: 'taken' } }), null);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('username_taken');
    expect(err.message).toBe('taken');
  });
  it('falls back on the status when the body is not JSON', () => {
    const err = errorFromResponse(502, '<html>bad gateway</html>', null);
    expect(err.code).toBe('server_error');
    expect(err.message).toMatch(/problem/);
  });
  it('keeps Retry-After', () => {
    const err = errorFromResponse(429, JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }), '12');
    expect(err.retryAfter).toBe(12);
  });
});

describe('describeError', () => {
  it('says wrong password on a failed login', () => {
    expect(describeError(new ApiError(401, 'invalid_credentials', 'x'), 'login')).toBe('Wrong username or password.');
  });
  it('says taken on a signup conflict', () => {
    expect(describeError(new ApiError(409, 'conflict', 'x'), 'signup')).toMatch(/already taken/);
  });
  it('gives the wait on too many tries', () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'x', 42), 'login')).toBe(
      'Too many tries. Please wait 42 seconds and try again.',
    );
    expect(describeError(new ApiError(429, 'rate_limited', 'x', 120), 'join-room')).toMatch(/2 minutes/);
  });
  it('says wrong PIN when joining a room', () => {
    expect(describeError(new ApiError(403, 'wrong_pin', 'x'), 'join-room')).toBe('Wrong PIN for this room.');
    const removed = "The room's owner removed you from this room.";
    expect(describeError(new ApiError(403, 'removed', removed), 'join-room')).toBe(removed);
  });
  it('passes the server message through otherwise', () => {
    expect(describeError(new ApiError(400, 'invalid', 'Title is required'))).toBe('Title is required');
  });
});

describe('functionUrl', () => {
  it('drops empty query values', () => {
    expect(functionUrl('list-content', { q: '', page: 2, per_page: undefined })).toBe('/function/list-content?page=2');
    expect(functionUrl('/room/abc/vote')).toBe('/function/room/abc/vote');
  });
});

describe('apiRequest', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    localStorage.clear();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    fetchMock.mockReset();
  });

  it('sends the token and JSON body', async () => {
    setToken('tok123');
    fetchMock.mockResolvedValue(new Response(JSON.stringify({ ok: true }), { status: 200 }));
    const res = await apiRequest<{ ok: boolean }>('room/r1/vote', { method: 'POST', body: { content_id: 'c1' } });
    expect(res.ok).toBe(true);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/function/room/r1/vote');
    const headers = init?.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer tok123');
    expect(headers['Content-Type']).toBe('application/json');
    expect(init?.body).toBe('{"content_id":"c1"}');
  });

  it('ends the session on 401 of an authenticated call', async () => {
    setToken('expired');
    const listener = vi.fn();
    const off = onUnauthorized(listener);
    fetchMock.mockResolvedValue(new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'no' } }), { status: 401 }));
    await expect(apiRequest('account/me')).rejects.toMatchObject({ status: 401 });
    expect(listener).toHaveBeenCalledOnce();
    off();
  });

  it('maps a network failure', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(apiRequest('list-content')).rejects.toMatchObject({ code: 'network' });
  });
});
