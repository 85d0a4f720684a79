/** The identity service definition, run by `main.ts` and started in-process by the integration tests. */
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { createAuthVerifier, createTokenIssuer, generateSigningKey } from '@meridian/auth';
import { UserRegistered } from '@meridian/contracts';
import type { ServiceContext, ServiceDefinition } from '@meridian/service';
import { registerAccount, type AccountDeps } from './accounts.ts';
import { registerIdentityRoutes } from './api/routes.ts';
import { loadOrStoreSigningKey } from './db/signingKeys.ts';
import { deriveSigningJwk, type SigningJwk } from './domain/signingKey.ts';
import { normalizeEmail } from './domain/user.ts';
import { findUserByEmail } from './db/users.ts';
import { createLoginRateLimiter } from './rateLimit.ts';

export const identityConfig = {
  STAFF_EMAIL: Type.String({ default: 'staff@meridian.local', minLength: 3 }),
  STAFF_PASSWORD: Type.String({ default: 'staff-password', minLength: 8 }),
  /** When set, the token signing key is derived from it (all instances and restarts agree); else one is generated and stored. */
  IDENTITY_SIGNING_KEY: Type.Optional(Type.String({ minLength: 16 })),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 60 }),
  LOGIN_RATE_LIMIT: Type.Integer({ default: 10, minimum: 1 }),
  LOGIN_RATE_WINDOW_SECONDS: Type.Integer({ default: 60, minimum: 1 }),
};

type Ctx = ServiceContext<typeof identityConfig>;

async function signingKey(ctx: Ctx): Promise<SigningJwk> {
  if (ctx.config.IDENTITY_SIGNING_KEY) return deriveSigningJwk(ctx.config.IDENTITY_SIGNING_KEY);
  return loadOrStoreSigningKey(ctx.sql, (await generateSigningKey()) as SigningJwk);
}

/** Creates the staff account from STAFF_EMAIL / STAFF_PASSWORD unless it exists. */
async function ensureStaffAccount(deps: AccountDeps, ctx: Ctx): Promise<void> {
  const email = normalizeEmail(ctx.config.STAFF_EMAIL);
  if (await findUserByEmail(deps.sql, email)) return;
  const created = await registerAccount(deps, { email, password: ctx.config.STAFF_PASSWORD, name: 'Staff', role: 'staff' });
  if (created) ctx.logger.info({ email }, 'staff account created');
}

export const identityService: ServiceDefinition<typeof identityConfig> = {
  name: 'identity',
  version: '1.0.0',
  apiVersions: ['v1'],
  configSchema: identityConfig,
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  produces: [UserRegistered],
  redis: true,
  openapi: { title: 'Meridian identity', description: 'Accounts, login and access tokens (EdDSA JWT).' },

  async routes(app, ctx) {
    const issuer = await createTokenIssuer({ privateJwk: await signingKey(ctx), ttlSeconds: ctx.config.ACCESS_TOKEN_TTL_SECONDS });
    const deps = { sql: ctx.sql, outbox: ctx.outbox };
    await ensureStaffAccount(deps, ctx);
    registerIdentityRoutes(app, {
      ...deps,
      issuer,
      // Identity verifies its own tokens against its own key, without a discovery round trip.
      verifier: createAuthVerifier({ getJwks: () => issuer.jwks() }),
      rateLimiter: createLoginRateLimiter(ctx.redis!, {
        prefix: `${ctx.config.MERIDIAN_NAMESPACE}:identity:login`,
        limit: ctx.config.LOGIN_RATE_LIMIT,
        windowSeconds: ctx.config.LOGIN_RATE_WINDOW_SECONDS,
        onError: (err) => ctx.logger.warn({ err }, 'login rate limit unavailable; allowing the attempt'),
      }),
      tokenTtlSeconds: ctx.config.ACCESS_TOKEN_TTL_SECONDS,
    });
  },
};
