import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { insertUser } from './db/users.ts';
import { hashPassword } from './domain/password.ts';
import { normalizeEmail, type Role, type User } from './domain/user.ts';
import type { Outbox } from '@meridian/messaging';
import { publishUserRegistered } from './events/publish.ts';

export interface AccountDeps {
  sql: Sql;
  outbox: Outbox;
}

export interface Registration {
  email: string;
  password: string;
  name: string;
  role: Role;
}

/** Creates the account and its `UserRegistered` event in one transaction; undefined when the email is taken. */
export async function registerAccount({ sql, outbox }: AccountDeps, registration: Registration): Promise<User | undefined> {
  const passwordHash = await hashPassword(registration.password);
  return sql.begin(async (tx) => {
    const user = await insertUser(tx, {
      id: randomUUID(),
      email: normalizeEmail(registration.email),
      name: registration.name.trim(),
      role: registration.role,
      passwordHash,
    });
    if (user) await publishUserRegistered(outbox, tx, user);
    return user;
  });
}
