import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthVerifier, createTokenIssuer } from '@meridian/auth';
import { Value } from 'typebox/value';
import { hashPassword, verifyPassword } from '../src/domain/password.ts';
import { deriveSigningJwk } from '../src/domain/signingKey.ts';
import { normalizeEmail } from '../src/domain/user.ts';
import { LoginBody, RegisterBody } from '../src/api/schemas.ts';

test('a password hash verifies the password and nothing else', async () => {
  const hash = await hashPassword('correct horse battery');
  assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
  assert.equal(await verifyPassword('correct horse batterY', hash), false);
  assert.equal(await verifyPassword('', hash), false);
});

test('every hash has its own salt', async () => {
  const [a, b] = await Promise.all([hashPassword('same-password'), hashPassword('same-password')]);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('same-password', b), true);
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('x', ''), false);
  assert.equal(await verifyPassword('x', 'bcrypt$abc'), false);
  assert.equal(await verifyPassword('x', 'scrypt$32768$8$1$c2FsdA==$'), false);
});

test('emails are normalized by trimming and lower-casing', () => {
  assert.equal(normalizeEmail('  Ada.Lovelace@Example.COM '), 'ada.lovelace@example.com');
});

test('the signing key derived from a secret is stable and signs verifiable tokens', async () => {
  const key = deriveSigningJwk('shared-secret');
  assert.deepEqual(deriveSigningJwk('shared-secret'), key);
  assert.notEqual(deriveSigningJwk('another-secret').x, key.x);

  const issuer = await createTokenIssuer({ privateJwk: key });
  assert.equal(issuer.kid, key.kid);
  const token = await issuer.issue({ sub: crypto.randomUUID(), email: 'a@b.example', role: 'customer' });
  // A second issuer from the same secret (another instance, or after a restart) is trusted alike.
  const restarted = await createTokenIssuer({ privateJwk: deriveSigningJwk('shared-secret') });
  const user = await createAuthVerifier({ getJwks: () => restarted.jwks() }).verify(token);
  assert.equal(user.email, 'a@b.example');
  assert.equal(issuer.jwks().keys[0]!.d, undefined, 'the JWKS never carries the private part');
});

test('register body: email format, password of at least 8 characters, non-blank name', () => {
  const valid = { email: 'ada@example.com', password: '12345678', name: 'Ada' };
  assert.equal(Value.Check(RegisterBody, valid), true);
  assert.equal(Value.Check(RegisterBody, { ...valid, email: 'not-an-email' }), false);
  assert.equal(Value.Check(RegisterBody, { ...valid, password: '1234567' }), false);
  assert.equal(Value.Check(RegisterBody, { ...valid, name: '   ' }), false);
  assert.equal(Value.Check(RegisterBody, { ...valid, role: 'staff' }), false, 'nobody registers as staff');
  assert.equal(Value.Check(LoginBody, { email: 'ada@example.com' }), false);
});
