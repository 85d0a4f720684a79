// Authentication and authorisation, checked against every service directly (not only through the
// gateway): forged tokens are refused with 401, customers cannot reach staff endpoints or another
// customer's data, and login attempts are rate-limited.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { base64url, generateKeyPair, exportJWK, importJWK, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import postgres from 'postgres';
import { infra } from '@meridian/testkit';
import { deriveSigningJwk } from '../../services/identity/src/domain/signingKey.ts';
import {
  gateway, ns, problemFaults, registerCustomer, send, serviceInstances, staffLogin, waitFor, type Customer, type Instance,
} from './support.ts';

/** One endpoint per service that requires a valid token. */
const protectedEndpoints: Record<string, { method: string; path: string; json?: unknown }> = {
  identity: { method: 'GET', path: '/api/v1/auth/me' },
  catalog: { method: 'POST', path: '/api/v1/products', json: { sku: 'FORGED-1', name: 'Forged', category: 'x', priceCents: 1 } },
  inventory: { method: 'PUT', path: `/api/v1/inventory/${randomUUID()}`, json: { available: 1 } },
  orders: { method: 'GET', path: '/api/v1/orders' },
  payments: { method: 'GET', path: `/api/v1/payments?orderId=${randomUUID()}` },
  notifications: { method: 'GET', path: '/api/v1/notifications' },
  logging: { method: 'GET', path: '/api/v1/ops/logs' },
};

/** The identity service's real signing key: derived from IDENTITY_SIGNING_KEY, else the one it stored. */
async function realSigningKey(): Promise<JWK> {
  if (process.env.IDENTITY_SIGNING_KEY) return deriveSigningJwk(process.env.IDENTITY_SIGNING_KEY);
  const url = new URL(infra().pgAdminUrl);
  url.pathname = `/meridian_${ns}_identity`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ private_jwk: JWK }[]>`select private_jwk from signing_keys where id = 'primary'`;
    assert.ok(row, 'identity has stored its signing key');
    return row.private_jwk;
  } finally {
    await sql.end();
  }
}

interface Claims {
  sub?: string;
  email?: string;
  role?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  iat?: number;
}

const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Claims, key: JWK, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT', ...header })
    .sign(await importJWK(key, 'EdDSA'));
}

let services: Map<string, Instance>;
let realKey: JWK;
let staff: string;
let alice: Customer;
let bob: Customer;
let forged: Record<string, string>;

before(async () => {
  services = await serviceInstances();
  realKey = await realSigningKey();
  staff = await staffLogin();
  [alice, bob] = await Promise.all([registerCustomer(), registerCustomer()]);

  const claims: Claims = { sub: alice.id, email: alice.email, role: 'customer', iss: 'meridian-identity', aud: 'meridian', iat: now(), exp: now() + 600 };
  const [header, payload, signature] = alice.token.split('.') as [string, string, string];
  const escalated = base64url.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(payload))), role: 'staff' }));
  const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const attackerJwk = { ...(await exportJWK(attacker.privateKey)), kid: realKey.kid };
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: realKey.x, kid: realKey.kid };
  const hs256 = (secret: Uint8Array) =>
    new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', kid: realKey.kid, typ: 'JWT' }).sign(secret);

  forged = {
    'payload changed (role → staff), signature kept': `${header}.${escalated}.${signature}`,
    'signature stripped': `${header}.${payload}.`,
    'signed by another key under the real kid': await sign({ ...claims, role: 'staff' }, attackerJwk),
    'signed by another key, key embedded in the header (jwk)': await sign({ ...claims, role: 'staff' }, attackerJwk, {
      jwk: await exportJWK(attacker.publicKey),
    }),
    'alg=none': new UnsecuredJWT({ ...claims, role: 'staff' }).setIssuedAt().setExpirationTime('10m').encode(),
    'alg=none with the real kid': `${base64url.encode(JSON.stringify({ alg: 'none', kid: realKey.kid }))}.${payload}.`,
    'HS256 keyed with the public key bytes': await hs256(base64url.decode(realKey.x!)),
    'HS256 keyed with the public JWK text': await hs256(new TextEncoder().encode(JSON.stringify(publicJwk))),
    'expired (real key)': await sign({ ...claims, iat: now() - 3600, exp: now() - 60 }, realKey),
    'wrong issuer (real key)': await sign({ ...claims, iss: 'evil-identity' }, realKey),
    'wrong audience (real key)': await sign({ ...claims, aud: 'someone-else' }, realKey),
    'unknown role (real key)': await sign({ ...claims, role: 'admin' }, realKey),
    'no subject (real key)': await sign({ ...claims, sub: undefined }, realKey),
    'no expiry (real key)': await sign({ ...claims, exp: undefined }, realKey),
    'not a JWT': 'definitely-not-a-token',
  };
});

test('every service, including logging, is running', () => {
  for (const service of Object.keys(protectedEndpoints)) assert.ok(services.get(service), `${service} has a ready instance`);
});

test('control: a token signed with the real key is accepted by every service (so the rejections below mean something)', async () => {
  const token = await sign({ sub: alice.id, email: alice.email, role: 'customer', iss: 'meridian-identity', aud: 'meridian', iat: now(), exp: now() + 600 }, realKey);
  const reply = await send(services.get('orders')!.url, 'GET', '/api/v1/orders', { token });
  assert.equal(reply.status, 200, reply.text);
  const me = await send(services.get('identity')!.url, 'GET', '/api/v1/auth/me', { token });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.id, alice.id);
});

describe('forged, tampered and expired tokens are rejected with 401 by every service directly', () => {
  for (const service of Object.keys(protectedEndpoints)) {
    test(service, async () => {
      const { method, path, json } = protectedEndpoints[service]!;
      const base = services.get(service)!.url;
      const missing = await send(base, method, path, { json });
      assert.equal(missing.status, 401, `no token: ${missing.text}`);
      assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
      for (const [name, token] of Object.entries(forged)) {
        const reply = await send(base, method, path, { token, json });
        assert.equal(reply.status, 401, `${service} ${name}: ${reply.status} ${reply.text}`);
        assert.deepEqual(problemFaults(reply), [], `${service} ${name}`);
        assert.equal(reply.body.type, 'https://meridian.dev/problems/unauthorized');
      }
    });
  }
});

test('forged tokens are rejected through the gateway too', async () => {
  for (const [name, token] of Object.entries(forged)) {
    const reply = await send(gateway, 'GET', '/api/v1/orders', { token });
    assert.equal(reply.status, 401, `${name}: ${reply.text}`);
  }
});

describe('customers cannot use staff endpoints (403), directly and through the gateway', () => {
  const staffOnly = (productId: string) => [
    { service: 'catalog', method: 'POST', path: '/api/v1/products', json: { sku: `C-${randomUUID().slice(0, 8)}`, name: 'x', category: 'x', priceCents: 1 } },
    { service: 'catalog', method: 'POST', path: '/api/v2/products', json: { sku: `C-${randomUUID().slice(0, 8)}`, name: 'x', category: 'x', price: { amount: 1, currency: 'EUR' } } },
    { service: 'catalog', method: 'PATCH', path: `/api/v1/products/${productId}`, json: { priceCents: 1 } },
    { service: 'catalog', method: 'PATCH', path: `/api/v2/products/${productId}`, json: { name: 'hijacked' } },
    { service: 'catalog', method: 'GET', path: '/api/v2/products?includeInactive=true' },
    { service: 'inventory', method: 'PUT', path: `/api/v1/inventory/${productId}`, json: { available: 999 } },
    { service: 'orders', method: 'GET', path: '/api/v1/admin/orders' },
    { service: 'orders', method: 'GET', path: `/api/v1/admin/orders/${randomUUID()}` },
    { service: 'logging', method: 'GET', path: '/api/v1/ops/logs' },
  ];
  for (const via of ['direct', 'gateway'] as const) {
    test(via, async () => {
      const productId = randomUUID();
      for (const { service, method, path, json } of staffOnly(productId)) {
        const base = via === 'gateway' ? gateway : services.get(service)!.url;
        const reply = await send(base, method, path, { token: alice.token, json });
        assert.equal(reply.status, 403, `${service} ${method} ${path}: ${reply.status} ${reply.text}`);
        assert.equal(reply.body.type, 'https://meridian.dev/problems/forbidden');
      }
    });
  }
});

test("a customer cannot see another customer's order, payments or notifications", async () => {
  const product = await send(gateway, 'POST', '/api/v2/products', {
    token: staff,
    json: { sku: `SEC-${randomUUID().slice(0, 8)}`, name: `Security lamp ${randomUUID().slice(0, 8)}`, category: 'Security', price: { amount: 500, currency: 'EUR' } },
  });
  assert.equal(product.status, 201, product.text);
  assert.equal((await send(gateway, 'PUT', `/api/v1/inventory/${product.body.id}`, { token: staff, json: { available: 5 } })).status, 200);

  // The orders service learns products from catalog events: retry the 422 unknown-product until it has.
  const placed = await waitFor(async () => {
    const reply = await send(gateway, 'POST', '/api/v1/orders', {
      token: bob.token,
      headers: { 'idempotency-key': randomUUID() },
      json: { items: [{ productId: product.body.id, quantity: 1 }], paymentToken: 'tok_visa' },
    });
    return reply.status === 202 ? reply : undefined;
  }, { timeoutMs: 20_000, intervalMs: 250, message: "bob's order to be accepted" });
  const orderId = placed.body.id as string;

  // Bob's order reaches its end; every read model then has something to leak.
  await waitFor(async () => {
    const order = await send(gateway, 'GET', `/api/v1/orders/${orderId}`, { token: bob.token });
    const payments = await send(gateway, 'GET', `/api/v1/payments?orderId=${orderId}`, { token: bob.token });
    const notes = await send(gateway, 'GET', `/api/v1/notifications?orderId=${orderId}`, { token: bob.token });
    return order.body.status !== 'PENDING' && payments.body.items.length > 0 && notes.body.items.length > 0;
  }, { timeoutMs: 30_000, intervalMs: 250, message: "bob's order, payment and notification" });

  for (const base of [gateway, services.get('orders')!.url]) {
    const order = await send(base, 'GET', `/api/v1/orders/${orderId}`, { token: alice.token });
    assert.equal(order.status, 404, order.text);
    const list = await send(base, 'GET', '/api/v1/orders', { token: alice.token });
    assert.ok(!list.body.items.some((o: { id: string }) => o.id === orderId), "bob's order is not in alice's list");
  }
  for (const base of [gateway, services.get('payments')!.url]) {
    const payments = await send(base, 'GET', `/api/v1/payments?orderId=${orderId}`, { token: alice.token });
    assert.equal(payments.status, 200);
    assert.deepEqual(payments.body.items, []);
  }
  for (const base of [gateway, services.get('notifications')!.url]) {
    const notes = await send(base, 'GET', `/api/v1/notifications?orderId=${orderId}`, { token: alice.token });
    assert.equal(notes.status, 200);
    assert.deepEqual(notes.body.items, []);
    const all = await send(base, 'GET', '/api/v1/notifications?limit=100', { token: alice.token });
    assert.ok(!all.body.items.some((n: { orderId: string }) => n.orderId === orderId), "bob's notifications are not in alice's list");
  }
  // Staff see it: the 404s above are about ownership, not a missing order.
  assert.equal((await send(gateway, 'GET', `/api/v1/admin/orders/${orderId}`, { token: staff })).status, 200);
});

describe('login is rate-limited (failures count, a success clears them)', () => {
  const limit = Number(process.env.LOGIN_RATE_LIMIT || 10);
  const attempt = (email: string, password: string) => send(gateway, 'POST', '/api/v1/auth/login', { json: { email, password } });

  test(`after ${limit} failures the next attempt is 429 with Retry-After, even with the right password`, async () => {
    const victim = await registerCustomer();
    for (let i = 1; i <= limit; i++) {
      assert.equal((await attempt(victim.email, `wrong-${i}`)).status, 401, `failure ${i}`);
    }
    const blocked = await attempt(victim.email, victim.password);
    assert.equal(blocked.status, 429, blocked.text);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0, 'Retry-After is set');
    assert.deepEqual(problemFaults(blocked), []);
    // Another account (same client) is not affected.
    const other = await registerCustomer();
    assert.equal((await attempt(other.email, other.password)).status, 200);
  });

  test('a successful login forgives earlier failures', async () => {
    const user = await registerCustomer();
    for (let i = 1; i < limit; i++) assert.equal((await attempt(user.email, 'wrong-password')).status, 401);
    assert.equal((await attempt(user.email, user.password)).status, 200);
    for (let i = 1; i < limit; i++) assert.equal((await attempt(user.email, 'wrong-password')).status, 401);
    assert.equal((await attempt(user.email, user.password)).status, 200);
  });

  test('unknown emails are limited as well (no free guessing of accounts)', async () => {
    const email = `nobody-${randomUUID()}@example.com`;
    for (let i = 1; i <= limit; i++) assert.equal((await attempt(email, 'guess')).status, 401);
    assert.equal((await attempt(email, 'guess')).status, 429);
  });
});
