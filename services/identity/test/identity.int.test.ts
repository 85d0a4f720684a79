import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthVerifier } from '@meridian/auth';
import { identityService } from '../src/service.ts';
import { call, cleanupNamespace, readEvents, startTestService, testNamespace, type TestService } from './support.ts';

const ns = testNamespace();
const staff = { email: 'Boss@Meridian.Test', password: 'staff-secret-1' };
const env = { STAFF_EMAIL: staff.email, STAFF_PASSWORD: staff.password, LOGIN_RATE_LIMIT: '5' };
let identity: TestService;

before(async () => {
  identity = await startTestService(identityService, ns, env);
});

after(async () => {
  await identity.stop();
  await identity.db.drop();
  await cleanupNamespace(ns);
});

const register = (body: unknown) => call(`${identity.url}/api/v1/auth/register`, { method: 'POST', body });
const login = (email: string, password: string) => call(`${identity.url}/api/v1/auth/login`, { method: 'POST', body: { email, password } });

test('register, log in and read /me', async () => {
  const registered = await register({ email: 'Ada@Example.com', password: 'analytical-engine', name: 'Ada Lovelace' });
  assert.equal(registered.status, 201);
  assert.equal(registered.body.email, 'ada@example.com');
  assert.equal(registered.body.role, 'customer');
  assert.equal(registered.body.name, 'Ada Lovelace');
  assert.equal('passwordHash' in registered.body, false);

  const loggedIn = await login('ADA@example.com', 'analytical-engine');
  assert.equal(loggedIn.status, 200);
  assert.equal(loggedIn.body.tokenType, 'Bearer');
  assert.equal(loggedIn.body.expiresIn, 900);

  const me = await call(`${identity.url}/api/v1/auth/me`, { token: loggedIn.body.accessToken });
  assert.equal(me.status, 200);
  assert.deepEqual(me.body, registered.body);

  // Any service verifies the token with nothing but the published JWKS.
  const verifier = createAuthVerifier({ jwksUrl: `${identity.url}/.well-known/jwks.json` });
  const user = await verifier.verify(loggedIn.body.accessToken);
  assert.deepEqual(user, { sub: registered.body.id, email: 'ada@example.com', role: 'customer' });
});

test('a second registration of the same email, in any case, is 409 email-taken', async () => {
  assert.equal((await register({ email: 'grace@example.com', password: 'cobol-1959', name: 'Grace' })).status, 201);
  const again = await register({ email: 'GRACE@Example.COM', password: 'another-pass', name: 'Grace H' });
  assert.equal(again.status, 409);
  assert.match(again.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(again.body.type, 'https://meridian.dev/problems/email-taken');
});

test('invalid registrations are 400 naming the field', async () => {
  const short = await register({ email: 'linus@example.com', password: 'short', name: 'Linus' });
  assert.equal(short.status, 400);
  assert.deepEqual(short.body.errors.map((e: { field: string }) => e.field), ['password']);
  const badEmail = await register({ email: 'not-an-email', password: 'long-enough', name: 'X' });
  assert.equal(badEmail.status, 400);
  assert.equal(badEmail.body.errors[0].field, 'email');
});

test('a wrong password and an unknown email get the same 401 invalid-credentials', async () => {
  await register({ email: 'alan@example.com', password: 'enigma-machine', name: 'Alan' });
  const wrong = await login('alan@example.com', 'bombe-machine');
  const unknown = await login('nobody@example.com', 'enigma-machine');
  for (const response of [wrong, unknown]) {
    assert.equal(response.status, 401);
    assert.equal(response.body.type, 'https://meridian.dev/problems/invalid-credentials');
  }
  assert.equal(wrong.body.detail, unknown.body.detail);
});

test('/me without a valid token is 401', async () => {
  assert.equal((await call(`${identity.url}/api/v1/auth/me`)).status, 401);
  assert.equal((await call(`${identity.url}/api/v1/auth/me`, { token: 'not.a.token' })).status, 401);
});

test('login attempts beyond the limit per email + IP are 429 with Retry-After', async () => {
  await register({ email: 'eve@example.com', password: 'correct-pass', name: 'Eve' });
  for (let i = 0; i < 5; i++) assert.equal((await login('eve@example.com', 'guess-' + i)).status, 401);
  const limited = await login('eve@example.com', 'correct-pass');
  assert.equal(limited.status, 429);
  assert.equal(limited.body.type, 'https://meridian.dev/problems/too-many-requests');
  const retryAfter = Number(limited.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  // Another email from the same client is not affected.
  assert.equal((await login('alan@example.com', 'enigma-machine')).status, 200);
});

test('successful logins do not use up the limit; only failures add up', async () => {
  await assert.equal((await register({ email: 'hopper@example.com', password: 'cobol-rules', name: 'Hopper' })).status, 201);
  for (let i = 0; i < 12; i++) assert.equal((await login('hopper@example.com', 'cobol-rules')).status, 200);
});

test('the staff account exists from start and logs in with the staff role', async () => {
  const loggedIn = await login(staff.email, staff.password);
  assert.equal(loggedIn.status, 200);
  const me = await call(`${identity.url}/api/v1/auth/me`, { token: loggedIn.body.accessToken });
  assert.equal(me.body.role, 'staff');
  assert.equal(me.body.email, 'boss@meridian.test');
});

test('UserRegistered events reach Kafka through the outbox', async () => {
  const registered = await register({ email: 'kafka@example.com', password: 'franz-kafka', name: 'Franz' });
  const events = await readEvents(`${ns}.identity.users`, (all) => all.some((e) => e.key === registered.body.id));
  const event = events.find((e) => e.key === registered.body.id);
  assert.equal(event.type, 'UserRegistered');
  assert.equal(event.version, 1);
  assert.equal(event.source, 'identity');
  assert.deepEqual(event.data, {
    userId: registered.body.id,
    email: 'kafka@example.com',
    name: 'Franz',
    role: 'customer',
    registeredAt: registered.body.createdAt,
  });
  assert.ok(events.some((e) => e.data.role === 'staff'), 'the staff account was announced too');
});

test('after a restart, tokens issued before stay valid and the staff account is not duplicated', async () => {
  const before = (await login(staff.email, staff.password)).body.accessToken;
  const kid = (await call(`${identity.url}/.well-known/jwks.json`)).body.keys[0].kid;
  await identity.stop();
  identity = await startTestService(identityService, ns, env, identity.db);
  const jwks = await call(`${identity.url}/.well-known/jwks.json`);
  assert.equal(jwks.body.keys[0].kid, kid);
  assert.equal((await call(`${identity.url}/api/v1/auth/me`, { token: before })).status, 200);
  const [{ count }] = await identity.running.ctx.sql`select count(*)::int as count from users where role = 'staff'`;
  assert.equal(count, 1);
});

test('IDENTITY_SIGNING_KEY gives every instance the same key', async () => {
  const secret = 'a-shared-secret-of-enough-length';
  const [a, b] = await Promise.all([
    startTestService(identityService, ns, { ...env, IDENTITY_SIGNING_KEY: secret }),
    startTestService(identityService, ns, { ...env, IDENTITY_SIGNING_KEY: secret }),
  ]);
  try {
    const kidA = (await call(`${a.url}/.well-known/jwks.json`)).body.keys[0].kid;
    const kidB = (await call(`${b.url}/.well-known/jwks.json`)).body.keys[0].kid;
    assert.equal(kidA, kidB);
    const token = (await call(`${a.url}/api/v1/auth/login`, { method: 'POST', body: staff })).body.accessToken;
    assert.equal((await call(`${b.url}/api/v1/auth/me`, { token })).status, 401, 'b has no such user, but accepts the signature');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([a.db.drop(), b.db.drop()]);
  }
});
