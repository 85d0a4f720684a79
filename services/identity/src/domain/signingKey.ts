import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';

/** An Ed25519 private key as a JWK, with `kid` = its RFC 7638 thumbprint. */
export interface SigningJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid: string;
  alg: 'EdDSA';
}

// DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

function toJwk(key: KeyObject): SigningJwk {
  const { x, d } = key.export({ format: 'jwk' }) as { x: string; d: string };
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
  return { kty: 'OKP', crv: 'Ed25519', x, d, kid: thumbprint, alg: 'EdDSA' };
}

/** The signing key derived deterministically from a secret (e.g. env `IDENTITY_SIGNING_KEY`). */
export function deriveSigningJwk(secret: string): SigningJwk {
  const seed = createHash('sha256').update(`meridian-identity-signing-key:${secret}`).digest();
  const der = Buffer.concat([pkcs8Ed25519Prefix, seed]);
  return toJwk(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}
