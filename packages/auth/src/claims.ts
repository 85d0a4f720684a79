export const accessTokenIssuer = 'meridian-identity';
export const accessTokenAudience = 'meridian';
export const signingAlgorithm = 'EdDSA';

export type Role = 'customer' | 'staff';

/** The caller a verified access token describes. */
export interface AuthUser {
  sub: string;
  email: string;
  role: Role;
}
