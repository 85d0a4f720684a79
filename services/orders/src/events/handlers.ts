/** Kafka handlers: the catalog read model and the saga outcomes. Every write uses the consumer's `tx`. */
import type { ProductDeactivatedV1, ProductSnapshotV1 } from '@meridian/contracts';
import type { EventEnvelope, EventHandler } from '@meridian/messaging';
import * as repo from '../db/repository.ts';
import type { Orders, SagaEvent } from '../orders.ts';

export function catalogProjectionHandlers(): Record<string, EventHandler> {
  const upsert: EventHandler = (event: EventEnvelope<ProductSnapshotV1>, tx) => repo.upsertCatalogProduct(tx, event.data);
  return {
    ProductCreated: upsert,
    ProductUpdated: upsert,
    ProductDeactivated: (event: EventEnvelope<ProductDeactivatedV1>, tx) => repo.deactivateCatalogProduct(tx, event.data),
  };
}

/** Saga events from inventory and payments; StockLevelChanged is not ours and stays unhandled. */
export function sagaHandlers(orders: Orders): Record<string, EventHandler> {
  const handle: EventHandler = (event: SagaEvent, tx) => orders.handleSagaEvent(tx, event);
  return {
    StockReserved: handle,
    StockRejected: handle,
    StockReleased: handle,
    PaymentAuthorized: handle,
    PaymentDeclined: handle,
  };
}
