import { type EventDescriptor, schemaRegistryOf } from '@meridian/messaging';
import * as catalog from './events/catalog.ts';
import * as identity from './events/identity.ts';
import * as inventory from './events/inventory.ts';
import * as orders from './events/orders.ts';
import * as payments from './events/payments.ts';

export * from './events/catalog.ts';
export * from './events/identity.ts';
export * from './events/inventory.ts';
export * from './events/orders.ts';
export * from './events/payments.ts';
export * from './topics.ts';

/** Every business event of the system, each declared once beside its schemas in `events/<topic owner>.ts`. */
export const allEvents: readonly EventDescriptor[] = [
  catalog.ProductCreated,
  catalog.ProductUpdated,
  catalog.ProductDeactivated,
  identity.UserRegistered,
  inventory.StockReserved,
  inventory.StockRejected,
  inventory.StockReleased,
  inventory.StockLevelChanged,
  orders.OrderPlaced,
  orders.OrderConfirmed,
  orders.OrderCancelled,
  payments.PaymentAuthorized,
  payments.PaymentDeclined,
];

/** `eventSchemas[type][version]`: every event's schemas, for tools that check events they did not subscribe to. */
export const eventSchemas = schemaRegistryOf(allEvents);
