import { useSyncExternalStore } from 'react';
import { request, setUnauthorizedHandler } from './api.ts';

export interface SessionUser {
  id: string;
  email: string;
  role: 'customer' | 'staff';
}

export interface Session {
  token: string;
  user: SessionUser;
  expiresAt: number;
}

/** The claims of a JWT, read without verifying (the servers verify; the UI only displays them). */
export function readClaims(token: string): { sub?: string; email?: string; role?: string; exp?: number } {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

/** A login kept in localStorage under `storageKey`, shared by every component through a hook. */
export function createSessionStore(storageKey: string) {
  const listeners = new Set<() => void>();
  let current: Session | null = load();

  function load(): Session | null {
    const token = localStorage.getItem(storageKey);
    if (!token) return null;
    const claims = readClaims(token);
    const expiresAt = (claims.exp ?? 0) * 1000;
    if (!claims.sub || expiresAt <= Date.now()) {
      localStorage.removeItem(storageKey);
      return null;
    }
    return { token, expiresAt, user: { id: claims.sub, email: claims.email ?? '', role: claims.role === 'staff' ? 'staff' : 'customer' } };
  }

  function set(token: string | null): void {
    if (token) localStorage.setItem(storageKey, token);
    else localStorage.removeItem(storageKey);
    current = load();
    for (const listener of listeners) listener();
  }

  setUnauthorizedHandler(() => set(null));
  window.addEventListener('storage', (event) => {
    if (event.key === storageKey) set(localStorage.getItem(storageKey));
  });

  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };

  return {
    get: () => (current && current.expiresAt > Date.now() ? current : null),
    async login(email: string, password: string): Promise<Session> {
      const { accessToken } = await request<{ accessToken: string }>('/api/v1/auth/login', { method: 'POST', body: { email, password } });
      set(accessToken);
      return current!;
    },
    logout: () => set(null),
    use: () => useSyncExternalStore(subscribe, () => current),
  };
}
export type SessionStore = ReturnType<typeof createSessionStore>;
