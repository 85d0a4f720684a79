import type { FieldProblem } from './fieldErrors.ts';

/** An RFC 9457 problem (or a network failure) in a form the UI can show: never a stack trace. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly fieldErrors: FieldProblem[];
  constructor(status: number, title: string, detail: string, type = 'about:blank', fieldErrors: FieldProblem[] = []) {
    super(detail || title);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type;
    this.fieldErrors = fieldErrors;
  }
  /** The problem type's last path segment, e.g. `unknown-product`. */
  get slug(): string {
    return this.type.split('/').pop() ?? '';
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

let onUnauthorized: (() => void) | undefined;
/** Called when an authenticated request answers 401 (the token expired or was revoked). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function problemOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { title?: string; detail?: string; type?: string; errors?: FieldProblem[] };
    if (body && typeof body === 'object' && (body.title || body.detail)) {
      return new ApiError(response.status, body.title ?? response.statusText, body.detail ?? '', body.type, body.errors ?? []);
    }
  } catch {
    // not a problem document
  }
  return new ApiError(response.status, response.statusText || 'Request failed', `The server answered ${response.status}.`);
}

/** `fetch` against this app's origin; JSON in and out; failures become `ApiError`. */
export async function request<T>(path: string, { method = 'GET', body, token, headers = {}, signal }: RequestOptions = {}): Promise<T> {
  const init: RequestInit = { method, signal, headers: { accept: 'application/json', ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'Network error', 'The server could not be reached. Check your connection and try again.');
  }
  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401 && token) onUnauthorized?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface StreamHandlers {
  onEvent(event: string, data: unknown): void;
  onStateChange?(state: 'connecting' | 'open' | 'closed' | 'retrying', error?: ApiError): void;
}

/**
 * Follows a server-sent event stream with `fetch` (so it can carry the bearer token), reconnecting
 * with backoff until `signal` aborts or the server ends the stream normally.
 */
export async function followEvents(path: string, token: string | null, handlers: StreamHandlers, signal: AbortSignal): Promise<void> {
  let delayMs = 1000;
  while (!signal.aborted) {
    handlers.onStateChange?.('connecting');
    try {
      const response = await fetch(path, {
        headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        signal,
      });
      if (!response.ok || !response.body) {
        const error = await problemOf(response);
        if (response.status === 401 && token) onUnauthorized?.();
        if (response.status >= 400 && response.status < 500) {
          handlers.onStateChange?.('closed', error);
          return;
        }
        throw error;
      }
      handlers.onStateChange?.('open');
      delayMs = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const parsed = parseEventBlock(block);
          if (parsed) handlers.onEvent(parsed.event, parsed.data);
        }
      }
      handlers.onStateChange?.('closed');
      return;
    } catch (err) {
      if (signal.aborted) return;
      handlers.onStateChange?.('retrying', err instanceof ApiError ? err : undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 15_000);
  }
}

/** One SSE block (`event:` + `data:` lines) → its event name and JSON data; comments yield nothing. */
export function parseEventBlock(block: string): { event: string; data: unknown } | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return undefined;
  try {
    return { event, data: JSON.parse(data.join('\n')) };
  } catch {
    return { event, data: data.join('\n') };
  }
}
