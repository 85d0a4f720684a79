// Just enough of a browser for the web apps' API clients: localStorage, window events, and
// relative URLs resolved against the page's origin (here the pact mock server).
import { MatchersV3 } from '@pact-foundation/pact';

class MemoryStorage {
  #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.#items.set(key, String(value));
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  clear() {
    this.#items.clear();
  }
}

/** Installs `localStorage` (holding `stored`) and `window` on the global object. */
export function emulateBrowser(stored: Record<string, string> = {}): void {
  const storage = new MemoryStorage();
  for (const [key, value] of Object.entries(stored)) storage.setItem(key, value);
  Object.defineProperty(globalThis, 'localStorage', { value: storage, configurable: true, writable: true });
  Object.defineProperty(globalThis, 'window', { value: new EventTarget(), configurable: true, writable: true });
}

/** Runs `fn` with `fetch` resolving relative paths against `origin`, as a page served from there would. */
export async function atOrigin<T>(origin: string, fn: () => Promise<T>): Promise<T> {
  const browserFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => browserFetch(typeof input === 'string' ? new URL(input, origin) : input, init);
  try {
    return await fn();
  } finally {
    globalThis.fetch = browserFetch;
  }
}

/** An unsigned JWT-shaped token: the web apps only read its claims (the services verify it). */
export function exampleToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** Matches any `Bearer <jwt>` header; the provider test swaps in a real token. */
export const bearerLike = (token: string) => MatchersV3.regex('^Bearer [\\w-]+\\.[\\w-]+\\.[\\w-]+$', `Bearer ${token}`);
