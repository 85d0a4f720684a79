import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthVerifier, TokenIssuer } from '@meridian/auth';
import { problem } from '@meridian/http';
import { registerAccount, type AccountDeps } from '../accounts.ts';
import { findUserByEmail, findUserById } from '../db/users.ts';
import { decoyHash, verifyPassword } from '../domain/password.ts';
import { normalizeEmail, type User } from '../domain/user.ts';
import type { LoginRateLimiter } from '../rateLimit.ts';
import { Jwks, LoginBody, Problem, RegisterBody, TokenResponse, UserView } from './schemas.ts';

export interface IdentityRoutesDeps extends AccountDeps {
  issuer: TokenIssuer;
  verifier: AuthVerifier;
  rateLimiter: LoginRateLimiter;
  tokenTtlSeconds: number;
}

const view = ({ id, email, name, role, createdAt }: User): User => ({ id, email, name, role, createdAt });

export function registerIdentityRoutes(server: FastifyInstance, deps: IdentityRoutesDeps): void {
  const app = server.withTypeProvider<TypeBoxTypeProvider>();
  const { issuer, verifier, rateLimiter } = deps;
  const tags = ['auth'];

  app.get('/.well-known/jwks.json', {
    schema: {
      tags,
      summary: 'Public keys that verify access tokens (JWKS)',
      description: 'The services verify bearer tokens with these keys (RFC 7517); cache for 5 minutes.',
      response: { 200: Jwks },
    },
    handler: async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return issuer.jwks() as Static<typeof Jwks>;
    },
  });

  app.post('/api/v1/auth/register', {
    schema: {
      tags,
      summary: 'Register a customer account',
      description: 'Creates a customer (never staff). The email is unique regardless of case; the password needs at least 8 characters. Sign in afterwards with POST /api/v1/auth/login.',
      body: RegisterBody,
      response: { 201: UserView, 400: Problem, 409: Problem },
    },
    handler: async (request, reply) => {
      const user = await registerAccount(deps, { ...request.body, role: 'customer' });
      if (!user) throw problem(409, 'email-taken', 'an account with this email already exists');
      reply.code(201);
      return view(user);
    },
  });

  app.post('/api/v1/auth/login', {
    schema: {
      tags,
      summary: 'Exchange email and password for an access token',
      description:
        'Answers a JWT to send as `Authorization: Bearer <accessToken>` on the operations marked with a lock. ' +
        'A dev platform has a staff account (STAFF_EMAIL / STAFF_PASSWORD, by default staff@meridian.local / staff-password). ' +
        'Repeated failures for one email or address are refused with 429 and Retry-After.',
      body: LoginBody,
      response: { 200: TokenResponse, 400: Problem, 401: Problem, 429: Problem },
    },
    handler: async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      const limit = await rateLimiter.hit(email, request.ip);
      if (!limit.allowed) {
        reply.header('retry-after', String(limit.retryAfterSeconds));
        throw problem(429, 'too-many-requests', `too many login attempts; retry in ${limit.retryAfterSeconds} s`);
      }
      const user = await findUserByEmail(deps.sql, email);
      // Unknown emails still pay for a hash check, so timing does not reveal which accounts exist.
      const valid = await verifyPassword(request.body.password, user?.passwordHash ?? (await decoyHash));
      if (!user || !valid) throw problem(401, 'invalid-credentials', 'email or password is incorrect');
      await rateLimiter.clear(email, request.ip);
      const accessToken = await issuer.issue({ sub: user.id, email: user.email, role: user.role });
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: deps.tokenTtlSeconds };
    },
  });

  app.get('/api/v1/auth/me', {
    preHandler: verifier.requireUser,
    schema: {
      tags,
      summary: 'The authenticated caller',
      description: 'The account of the bearer token: id, email, name and role (customer or staff).',
      security: [{ bearerAuth: [] }],
      response: { 200: UserView, 401: Problem },
    },
    handler: async (request) => {
      const user = await findUserById(deps.sql, request.user!.sub);
      if (!user) throw problem(401, 'unauthorized', 'the account of this token no longer exists');
      return view(user);
    },
  });
}
