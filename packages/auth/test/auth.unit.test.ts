import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@meridian/http';
import { createLogger } from '@meridian/log';
import { base64url, importJWK, SignJWT, type JWK } from 'jose';
import { AuthError, createAuthVerifier, createTokenIssuer, generateSigningKey, type AuthUser } from '../src/index.ts';

const customer: AuthUser = { sub: 'user-1', email: 'ada@example.com', role: 'customer' };
const staff: AuthUser = { sub: 'user-2', email: 'grace@example.com', role: 'staff' };

const privateJwk = await generateSigningKey();
const issuer = await createTokenIssuer({ privateJwk });
const verifier = createAuthVerifier({ getJwks: () => issuer.jwks() });

/** Signs arbitrary claims with the issuer's own key, to build tokens the issuer never would. */
async function signWithIssuerKey(claims: Record<string, unknown>, configure: (jwt: SignJWT) => SignJWT): Promise<string> {
  const key = await importJWK(privateJwk, 'EdDSA');
  return configure(new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: issuer.kid })).sign(key);
}

async function rejects401(token: string, detail: RegExp): Promise<void> {
  await assert.rejects(verifier.verify(token), (err: unknown) => {
    assert.ok(err instanceof AuthError);
    assert.equal(err.status, 401);
    assert.equal(err.toProblem().type, 'https://meridian.dev/problems/unauthorized');
    assert.match(err.detail, detail);
    return true;
  });
}

describe('token issuer', () => {
  test('issues EdDSA tokens with the Meridian claims and a 15 minute lifetime', async () => {
    const token = await issuer.issue(customer);
    const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))));
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.kid, issuer.kid);
    assert.equal(payload.iss, 'meridian-identity');
    assert.equal(payload.aud, 'meridian');
    assert.equal(payload.sub, customer.sub);
    assert.equal(payload.exp - payload.iat, 15 * 60);
    assert.deepEqual(await verifier.verify(token), customer);
  });

  test('publishes only the public key', () => {
    const [key] = issuer.jwks().keys;
    assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(key.x, privateJwk.x);
  });

  test('generates its own key when asked', async () => {
    const generated = await createTokenIssuer({ generate: true });
    assert.notEqual(generated.kid, issuer.kid);
    const token = await generated.issue(staff);
    assert.deepEqual(await createAuthVerifier({ getJwks: () => generated.jwks() }).verify(token), staff);
  });

  test('refuses a key that is not a private Ed25519 JWK', async () => {
    const { d: _d, ...publicOnly } = privateJwk;
    await assert.rejects(createTokenIssuer({ privateJwk: publicOnly as JWK }), /private Ed25519/);
  });
});

describe('token verifier', () => {
  test('rejects a tampered payload', async () => {
    const [header, , signature] = (await issuer.issue(customer)).split('.');
    const forgedPayload = base64url.encode(JSON.stringify({ ...customer, role: 'staff', iss: 'meridian-identity', aud: 'meridian', exp: 9999999999 }));
    await rejects401(`${header}.${forgedPayload}.${signature}`, /invalid/);
  });

  test('rejects an expired token', async () => {
    const token = await signWithIssuerKey({ email: customer.email, role: 'customer' }, (jwt) =>
      jwt.setSubject(customer.sub).setIssuer('meridian-identity').setAudience('meridian').setIssuedAt('-20m').setExpirationTime('-5m'),
    );
    await rejects401(token, /expired/);
  });

  test('rejects a token signed by another key', async () => {
    const stranger = await createTokenIssuer({ generate: true });
    await rejects401(await stranger.issue(staff), /invalid/);
  });

  test('rejects alg=none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify({ ...staff, iss: 'meridian-identity', aud: 'meridian', exp: Math.floor(Date.now() / 1000) + 600 }));
    await rejects401(`${header}.${payload}.`, /invalid/);
  });

  test('rejects HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(issuer.jwks().keys[0]));
    const token = await new SignJWT({ email: staff.email, role: 'staff' })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.kid })
      .setSubject(staff.sub)
      .setIssuer('meridian-identity')
      .setAudience('meridian')
      .setExpirationTime('10m')
      .sign(secret);
    await rejects401(token, /invalid/);
  });

  test('rejects a wrong issuer or audience, and tokens without a valid role', async () => {
    const claims = (role: unknown) => ({ email: staff.email, role });
    await rejects401(
      await signWithIssuerKey(claims('staff'), (jwt) => jwt.setSubject('u').setIssuer('evil').setAudience('meridian').setExpirationTime('5m')),
      /invalid/,
    );
    await rejects401(
      await signWithIssuerKey(claims('staff'), (jwt) => jwt.setSubject('u').setIssuer('meridian-identity').setAudience('other').setExpirationTime('5m')),
      /invalid/,
    );
    await rejects401(
      await signWithIssuerKey(claims('admin'), (jwt) => jwt.setSubject('u').setIssuer('meridian-identity').setAudience('meridian').setExpirationTime('5m')),
      /role/,
    );
  });

  test('re-reads the key set when a token names an unknown kid (key rotation)', async () => {
    let current = issuer;
    let reads = 0;
    const rotating = createAuthVerifier({
      getJwks: () => {
        reads++;
        return current.jwks();
      },
      refreshCooldownMs: 0,
    });
    await rotating.verify(await issuer.issue(customer));
    current = await createTokenIssuer({ generate: true });
    assert.deepEqual(await rotating.verify(await current.issue(staff)), staff);
    assert.equal(reads, 2);
  });

  test('checks a token\'s signature once, then trusts it for verifiedCacheMs; 0 checks every time', async (t) => {
    const subtle = globalThis.crypto.subtle;
    const realVerify = subtle.verify.bind(subtle);
    let signatureChecks = 0;
    t.mock.method(subtle, 'verify', (...args: Parameters<SubtleCrypto['verify']>) => {
      signatureChecks++;
      return realVerify(...args);
    });
    const token = await issuer.issue(customer);
    const caching = createAuthVerifier({ getJwks: () => issuer.jwks() });
    for (let i = 0; i < 3; i++) assert.deepEqual(await caching.verify(token), customer);
    assert.equal(signatureChecks, 1);
    const uncached = createAuthVerifier({ getJwks: () => issuer.jwks(), verifiedCacheMs: 0 });
    for (let i = 0; i < 3; i++) assert.deepEqual(await uncached.verify(token), customer);
    assert.equal(signatureChecks, 4);
    // A different token (even for the same user) is checked on its own.
    await caching.verify(await issuer.issue(staff));
    assert.equal(signatureChecks, 5);
  });

  test('a trusted token is refused once it expires, even within verifiedCacheMs', async () => {
    const caching = createAuthVerifier({ getJwks: () => issuer.jwks(), verifiedCacheMs: 60_000 });
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const token = await signWithIssuerKey({ email: customer.email, role: 'customer' }, (jwt) =>
      jwt.setSubject(customer.sub).setIssuer('meridian-identity').setAudience('meridian').setIssuedAt().setExpirationTime(expiresAt),
    );
    assert.deepEqual(await caching.verify(token), customer);
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await assert.rejects(caching.verify(token), (err: unknown) => err instanceof AuthError && /expired/.test(err.detail));
  });

  test('fetches keys from a JWKS URL', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(issuer.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as AddressInfo;
    const remote = createAuthVerifier({ jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json` });
    assert.deepEqual(await remote.verify(await issuer.issue(customer)), customer);
  });
});

describe('Fastify hooks', () => {
  test('requireUser and requireStaff answer 401 / 403 problems and set request.user', async () => {
    const logger = createLogger({ service: 'auth-test', version: '0', instance: 'test', level: 'silent' });
    const app = await createHttpServer({ name: 'auth-test', version: '0', logger });
    app.get('/me', { preHandler: verifier.requireUser }, async (request) => request.user);
    app.get('/admin', { preHandler: verifier.requireStaff }, async (request) => request.user);
    after(() => app.close());

    const bearer = async (user: AuthUser) => ({ authorization: `Bearer ${await issuer.issue(user)}` });

    const anonymous = await app.inject({ url: '/me' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    assert.match(String(anonymous.headers['content-type']), /^application\/problem\+json/);
    assert.equal(anonymous.json().type, 'https://meridian.dev/problems/unauthorized');
    assert.equal(anonymous.json().detail, 'missing bearer token');

    const garbage = await app.inject({ url: '/me', headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(garbage.statusCode, 401);

    const me = await app.inject({ url: '/me', headers: await bearer(customer) });
    assert.equal(me.statusCode, 200);
    assert.deepEqual(me.json(), customer);

    const forbidden = await app.inject({ url: '/admin', headers: await bearer(customer) });
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().type, 'https://meridian.dev/problems/forbidden');

    const admin = await app.inject({ url: '/admin', headers: await bearer(staff) });
    assert.equal(admin.statusCode, 200);
    assert.deepEqual(admin.json(), staff);
  });
});
