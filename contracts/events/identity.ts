import { Type, type Static } from 'typebox';
import { Timestamp, Uuid } from './common.ts';
import { event } from '@meridian/messaging';
import { IdentityUsersTopic } from '../topics.ts';

/** Topic `identity.users`, key = userId. */
export const UserRegisteredV1 = Type.Object({
  userId: Uuid,
  email: Type.String({ format: 'email' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  role: Type.Union([Type.Literal('customer'), Type.Literal('staff')]),
  registeredAt: Timestamp,
});
export type UserRegisteredV1 = Static<typeof UserRegisteredV1>;

export const UserRegistered = event({ topic: IdentityUsersTopic, type: 'UserRegistered', versions: { 1: UserRegisteredV1 } });
