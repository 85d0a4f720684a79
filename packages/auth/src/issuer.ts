import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { accessTokenAudience, accessTokenIssuer, signingAlgorithm, type AuthUser } from './claims.ts';

export type TokenIssuerOptions = ({ privateJwk: JWK } | { generate: true }) & {
  /** Access-token lifetime; 15 minutes unless given. */
  ttlSeconds?: number;
};

export interface TokenIssuer {
  readonly kid: string;
  issue(user: AuthUser): Promise<string>;
  /** The public key set to serve at `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] };
}

/** A new Ed25519 private key as a JWK (with `kid`), e.g. to persist and share between instances. */
export async function generateSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(signingAlgorithm, { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: signingAlgorithm };
}

/** Signs EdDSA (Ed25519) access tokens for Meridian. */
export async function createTokenIssuer(options: TokenIssuerOptions): Promise<TokenIssuer> {
  const privateJwk = 'privateJwk' in options ? options.privateJwk : await generateSigningKey();
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || !privateJwk.d) {
    throw new Error('the signing key must be a private Ed25519 JWK');
  }
  const { ttlSeconds = 15 * 60 } = options;
  const key = await importJWK(privateJwk, signingAlgorithm);
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x };
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  const keys = [{ ...publicJwk, kid, alg: signingAlgorithm, use: 'sig' }];

  return {
    kid,
    issue: ({ sub, email, role }) =>
      new SignJWT({ email, role })
        .setProtectedHeader({ alg: signingAlgorithm, kid, typ: 'JWT' })
        .setSubject(sub)
        .setIssuer(accessTokenIssuer)
        .setAudience(accessTokenAudience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
    jwks: () => ({ keys: keys.map((jwk) => ({ ...jwk })) }),
  };
}
