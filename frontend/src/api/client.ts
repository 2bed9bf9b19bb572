/**
 * The one place that talks to the functions. Every call goes to `/function/NAME[/sub/path]`
 * on the same origin; errors come back as `{"error": {"code", "message"}}` and are thrown as ApiError.
 */

export const TOKEN_KEY = 'flmnchll.token';
export const USER_KEY = 'flmnchll.user';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before trying again (from Retry-After), when the server said so. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage unavailable (private mode): the session then lasts for this page only
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called when an authenticated call answers 401 (expired or revoked session). */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  422: 'invalid',
  429: 'rate_limited',
};

/** Parses a Retry-After header: either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Turns a failed response (status, headers, body text) into an ApiError. */
export function errorFromResponse(status: number, bodyText: string, retryAfterHeader: string | null): ApiError {
  let code = DEFAULT_CODES[status] ?? (status >= 500 ? 'server_error' : 'error');
  let message = '';
  let retryAfter = parseRetryAfter(retryAfterHeader);
  if (bodyText) {
    try {
      const parsed: unknown = JSON.parse(bodyText);
      if (isRecord(parsed) && isRecord(parsed.error)) {
        const err = parsed.error;
        if (typeof err.code === 'string' && err.code) code = err.code;
        if (typeof err.message === 'string') message = err.message;
        if (retryAfter === null && typeof err.retry_after === 'number') retryAfter = Math.ceil(err.retry_after);
      } else if (isRecord(parsed) && typeof parsed.message === 'string') {
        message = parsed.message;
      }
    } catch {
      // not JSON (a proxy's error page): keep the defaults
    }
  }
  if (!message) message = defaultMessage(status);
  return new ApiError(status, code, message, retryAfter);
}

function defaultMessage(status: number): string {
  if (status === 401) return 'Please log in.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many tries.';
  if (status >= 500) return 'The service had a problem. Please try again.';
  return `Request failed (${status}).`;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Raw body (e.g. image bytes); sent as-is with `contentType`. */
  rawBody?: Blob | ArrayBuffer;
  contentType?: string;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  /** Send even when the page is going away (pagehide). */
  keepalive?: boolean;
  /** Whether a 401 should end the local session (default true when a token was sent). */
  logoutOn401?: boolean;
}

export function functionUrl(path: string, query?: RequestOptions['query']): string {
  const clean = path.replace(/^\/+/, '');
  let url = `/function/${clean}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  return url;
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(functionUrl(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      keepalive: options.keepalive,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Cannot reach the service. Check your connection.');
  }
  const text = await response.text();
  if (!response.ok) {
    const error = errorFromResponse(response.status, text, response.headers.get('Retry-After'));
    if (response.status === 401 && token && options.logoutOn401 !== false) {
      unauthorizedListeners.forEach((listener) => listener());
    }
    throw error;
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(response.status, 'bad_response', 'The service sent an unreadable answer.');
  }
}

/** What a person should read for an error, with the context of what they were doing. */
export type ErrorContext = 'login' | 'signup' | 'join-room' | 'generic';

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export function describeError(error: unknown, context: ErrorContext = 'generic'): string {
  if (!(error instanceof ApiError)) {
    if (error instanceof Error && error.message) return error.message;
    return 'Something went wrong.';
  }
  if (error.status === 429 || error.code === 'rate_limited' || error.code === 'too_many_requests') {
    return error.retryAfter !== null
      ? `Too many tries. Please wait ${formatWait(error.retryAfter)} and try again.`
      : 'Too many tries. Please wait a little and try again.';
  }
  if (error.code === 'network') return error.message;
  switch (context) {
    case 'login':
      if (error.status === 401) return 'Wrong username or password.';
      break;
    case 'signup':
      if (error.status === 409) return 'That username is already taken. Pick another one.';
      if (error.status === 400) return error.message || 'Please check the username and password.';
      break;
    case 'join-room':
      // the service's own words when the room's owner removed this person: a PIN would not help
      if (error.status === 403) return error.code === 'removed' ? error.message : 'Wrong PIN for this room.';
      if (error.status === 404) return 'No room with that code (it may have expired).';
      break;
    default:
      break;
  }
  return error.message;
}
