export { createTokenIssuer, generateSigningKey, type TokenIssuer, type TokenIssuerOptions } from './issuer.ts';
export {
  AuthError,
  createAuthVerifier,
  type AuthUser,
  type AuthVerifier,
  type AuthVerifierOptions,
  type Role,
} from './verifier.ts';
export { accessTokenAudience, accessTokenIssuer, signingAlgorithm } from './claims.ts';
