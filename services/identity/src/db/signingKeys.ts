import type { Sql } from 'postgres';
import type { SigningJwk } from '../domain/signingKey.ts';

/** Stores `candidate` unless a key exists already, and returns the stored key (safe for concurrent starts). */
export async function loadOrStoreSigningKey(sql: Sql, candidate: SigningJwk): Promise<SigningJwk> {
  await sql`insert into signing_keys (id, private_jwk) values ('primary', ${sql.json(candidate as never)}) on conflict (id) do nothing`;
  const [row] = await sql<{ private_jwk: SigningJwk }[]>`select private_jwk from signing_keys where id = 'primary'`;
  return row!.private_jwk;
}
