/** Kafka handlers: the catalog read model and the saga outcomes. Every write uses the consumer's `tx`. */
import {
  PaymentAuthorized,
  PaymentDeclined,
  ProductCreated,
  ProductDeactivated,
  ProductUpdated,
  StockRejected,
  StockReleased,
  StockReserved,
} from '@meridian/contracts';
import { on, type Subscription } from '@meridian/messaging';
import * as repo from '../db/repository.ts';
import type { Orders, SagaEvent } from '../orders.ts';

export function catalogProjectionSubscriptions(): Subscription[] {
  return [
    on(ProductCreated, (event, tx) => repo.upsertCatalogProduct(tx, event.data)),
    on(ProductUpdated, (event, tx) => repo.upsertCatalogProduct(tx, event.data)),
    on(ProductDeactivated, (event, tx) => repo.deactivateCatalogProduct(tx, event.data)),
  ];
}

/** Saga events from inventory and payments; StockLevelChanged is not ours and stays unhandled. */
export function sagaSubscriptions(orders: Orders): Subscription[] {
  const handle = (event: SagaEvent, tx: Parameters<Orders['handleSagaEvent']>[0]) => orders.handleSagaEvent(tx, event);
  return [on(StockReserved, handle), on(StockRejected, handle), on(StockReleased, handle), on(PaymentAuthorized, handle), on(PaymentDeclined, handle)];
}
