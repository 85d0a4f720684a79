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
import { type HandlerContext, on, type Subscription } from '@meridian/messaging';
import * as repo from '../db/repository.ts';
import type { Orders, SagaEvent } from '../orders.ts';

/** The catalog's product events: orders keeps the prices and names it sells at. */
export const catalogProjectionEvents = [ProductCreated, ProductUpdated, ProductDeactivated];
/** The saga's outcome events from inventory and payments. */
export const sagaEvents = [StockReserved, StockRejected, StockReleased, PaymentAuthorized, PaymentDeclined];

export function catalogProjectionSubscriptions(): Subscription[] {
  return [
    on(ProductCreated, (event, tx) => repo.upsertCatalogProduct(tx, event.data)),
    on(ProductUpdated, (event, tx) => repo.upsertCatalogProduct(tx, event.data)),
    on(ProductDeactivated, (event, tx) => repo.deactivateCatalogProduct(tx, event.data)),
  ];
}

/** Saga events from inventory and payments. */
export function sagaSubscriptions(orders: Orders): Subscription[] {
  // The decision is the order's line in its trace's logs (the routine `event handled` line is at debug).
  const handle = async (event: SagaEvent, tx: Parameters<Orders['handleSagaEvent']>[0], { logger }: HandlerContext) => {
    const decided = await orders.handleSagaEvent(tx, event);
    if (decided?.outcome === 'confirm') logger.info({ orderId: event.data.orderId, status: 'CONFIRMED', after: event.type }, 'order decided');
    else if (decided?.outcome === 'cancel') logger.info({ orderId: event.data.orderId, status: 'CANCELLED', reason: decided.reason, after: event.type }, 'order decided');
  };
  return sagaEvents.map((event) => on(event, handle));
}
