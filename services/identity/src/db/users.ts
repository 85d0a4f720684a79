import type { Sql, TransactionSql } from 'postgres';
import type { Role, User } from '../domain/user.ts';

type Db = Sql | TransactionSql;

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: Date;
}

export interface UserWithHash extends User {
  passwordHash: string;
}

function toUser(row: UserRow): UserWithHash {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: row.created_at.toISOString(),
    passwordHash: row.password_hash,
  };
}

export interface NewUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

/** Inserts the user; returns undefined when the email is already taken. */
export async function insertUser(db: Db, user: NewUser): Promise<User | undefined> {
  const rows = await db<UserRow[]>`
    insert into users (id, email, name, role, password_hash)
    values (${user.id}, ${user.email}, ${user.name}, ${user.role}, ${user.passwordHash})
    on conflict (email) do nothing
    returning *`;
  if (!rows[0]) return undefined;
  const { passwordHash: _, ...created } = toUser(rows[0]);
  return created;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserWithHash | undefined> {
  const rows = await db<UserRow[]>`select * from users where email = ${email}`;
  return rows[0] && toUser(rows[0]);
}

export async function findUserById(db: Db, id: string): Promise<UserWithHash | undefined> {
  const rows = await db<UserRow[]>`select * from users where id = ${id}`;
  return rows[0] && toUser(rows[0]);
}
