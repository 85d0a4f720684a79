import type { AuthUser, AuthVerifier } from '@meridian/auth';
import type { FastifyRequest } from 'fastify';

/** The parts of `@meridian/auth`'s verifier the routes use. */
export type RouteAuth = Pick<AuthVerifier, 'authenticate' | 'requireStaff'>;

/** The caller when the request carries credentials (verified), undefined for anonymous requests. */
export async function optionalCaller(auth: RouteAuth, request: FastifyRequest): Promise<AuthUser | undefined> {
  return request.headers.authorization ? auth.authenticate(request) : undefined;
}
