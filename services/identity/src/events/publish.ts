import { latestVersion, topics } from '@meridian/contracts';
import type { TransactionSql } from 'postgres';
import type { User } from '../domain/user.ts';

/** The part of the messaging outbox identity uses. */
export interface Outbox {
  add(tx: TransactionSql, event: { topic: string; type: string; version: number; key: string; data: unknown }): Promise<unknown>;
}

export function publishUserRegistered(outbox: Outbox, tx: TransactionSql, user: User) {
  return outbox.add(tx, {
    topic: topics.identityUsers,
    type: 'UserRegistered',
    version: latestVersion('UserRegistered'),
    key: user.id,
    data: { userId: user.id, email: user.email, name: user.name, role: user.role, registeredAt: user.createdAt },
  });
}
