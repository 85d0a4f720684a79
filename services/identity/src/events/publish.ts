import { UserRegistered } from '@meridian/contracts';
import type { Outbox } from '@meridian/messaging';
import type { TransactionSql } from 'postgres';
import type { User } from '../domain/user.ts';

export function publishUserRegistered(outbox: Outbox, tx: TransactionSql, user: User) {
  return outbox.add(tx, UserRegistered.v1, user.id, {
    userId: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    registeredAt: user.createdAt,
  });
}
