import { Type } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$' });
export const MinorUnits = Type.Integer({ minimum: 0 });
export const Quantity = Type.Integer({ minimum: 1, maximum: 1000 });
export const Reason = Type.String({ minLength: 1, maxLength: 200 });

export const OrderLine = Type.Object({ productId: Uuid, quantity: Quantity });
