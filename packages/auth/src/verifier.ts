import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from '@meridian/http';
import { accessTokenAudience, accessTokenIssuer, signingAlgorithm, type AuthUser, type Role } from './claims.ts';

export type { AuthUser, Role };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireUser` / `requireStaff`. */
    user?: AuthUser;
  }
}

export type AuthVerifierOptions = (
  | { jwksUrl: string }
  | {
      /** Returns the current key set; called again (at most every `refreshCooldownMs`) on an unknown `kid`. */
      getJwks: () => Promise<JSONWebKeySet> | JSONWebKeySet;
      refreshCooldownMs?: number;
    }
) & {
  /**
   * How long a verified token is trusted without checking its signature again (never past its `exp`);
   * 0 verifies every time. A client sends the same token with every request until it expires.
   */
  verifiedCacheMs?: number;
};

/** Verified tokens remembered at most (the oldest is forgotten first). */
const verifiedCacheSize = 5_000;

export interface AuthVerifier {
  /** Verifies an access token; throws `AuthError` (401) when it is not valid. */
  verify(token: string): Promise<AuthUser>;
  /** Verifies the request's `Authorization: Bearer` token. */
  authenticate(request: FastifyRequest): Promise<AuthUser>;
  /** Fastify preHandler: 401 unless the request carries a valid token; sets `request.user`. */
  requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Fastify preHandler: like `requireUser`, then 403 unless the user is staff. */
  requireStaff(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** The RFC 9457 problem for a failed authentication (401) or authorisation (403). */
export class AuthError extends HttpProblem {
  override name = 'AuthError';
  constructor(status: 401 | 403, detail: string) {
    super(status, status === 401 ? 'unauthorized' : 'forbidden', detail);
  }
}

/** A local key set that re-reads the keys when a token names a `kid` it does not know (key rotation). */
function refreshingKeySet(getJwks: () => Promise<JSONWebKeySet> | JSONWebKeySet, cooldownMs: number): JWTVerifyGetKey {
  let keySet: Promise<JWTVerifyGetKey> | undefined;
  let loadedAt = 0;
  const load = (): Promise<JWTVerifyGetKey> => {
    loadedAt = Date.now();
    const loading = Promise.resolve(getJwks()).then((jwks) => createLocalJWKSet(jwks));
    keySet = loading;
    loading.catch(() => {
      if (keySet === loading) keySet = undefined;
    });
    return loading;
  };
  return async (header, token) => {
    const current = await (keySet ?? load());
    try {
      return await current(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || Date.now() - loadedAt < cooldownMs) throw err;
      return (await load())(header, token);
    }
  };
}

function isRole(value: unknown): value is Role {
  return value === 'customer' || value === 'staff';
}

export function createAuthVerifier(options: AuthVerifierOptions): AuthVerifier {
  const keySet =
    'jwksUrl' in options
      ? createRemoteJWKSet(new URL(options.jwksUrl))
      : refreshingKeySet(options.getJwks, options.refreshCooldownMs ?? 30_000);

  // token -> its user, until `until` (ms): the signature check is the dearest part of a request that needs a user.
  const verifiedCacheMs = options.verifiedCacheMs ?? 60_000;
  const verified = new Map<string, { user: AuthUser; until: number }>();

  async function verify(token: string): Promise<AuthUser> {
    const now = Date.now();
    const known = verified.get(token);
    if (known && known.until > now) return known.user;
    const { user, expiresAt } = await verifySignature(token);
    if (verifiedCacheMs > 0) {
      if (known) verified.delete(token);
      else if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value as string);
      verified.set(token, { user, until: Math.min(now + verifiedCacheMs, expiresAt) });
    }
    return user;
  }

  async function verifySignature(token: string): Promise<{ user: AuthUser; expiresAt: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: accessTokenIssuer,
        audience: accessTokenAudience,
        algorithms: [signingAlgorithm],
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AuthError(401, 'access token expired');
      if (err instanceof errors.JOSEError) throw new AuthError(401, 'invalid access token');
      throw err; // the key set could not be fetched: not the caller's fault
    }
    const { sub, email, role, exp } = payload;
    if (typeof sub !== 'string' || typeof email !== 'string' || !isRole(role)) {
      throw new AuthError(401, 'access token lacks sub, email or role');
    }
    return { user: { sub, email, role }, expiresAt: (exp as number) * 1000 };
  }

  async function authenticate(request: FastifyRequest): Promise<AuthUser> {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) throw new AuthError(401, 'missing bearer token');
    return verify(token);
  }

  async function requireUser(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      request.user = await authenticate(request);
    } catch (err) {
      if (err instanceof AuthError) reply.header('www-authenticate', 'Bearer');
      throw err;
    }
  }

  async function requireStaff(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await requireUser(request, reply);
    if (request.user?.role !== 'staff') throw new AuthError(403, 'staff role required');
  }

  // The statuses each hook may answer with: @meridian/http documents them on every route using it.
  return {
    verify,
    authenticate,
    requireUser: Object.assign(requireUser, { problemStatuses: [401] }),
    requireStaff: Object.assign(requireStaff, { problemStatuses: [401, 403] }),
  };
}
